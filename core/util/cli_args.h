// Command-line spelling shared by Enlist's programs: flags are written with
// dashes (--data-dir, as enlist-agent and tctl do) while Abseil flag names
// use underscores. NormalizeFlags rewrites the former into the latter.
#ifndef ENLIST_CORE_UTIL_CLI_ARGS_H_
#define ENLIST_CORE_UTIL_CLI_ARGS_H_

#include <string>
#include <vector>

namespace enlist {

// Returns argv with every "--flag-name[=value]" turned into
// "--flag_name[=value]" (the value untouched), and "-f -" into "--f=-" so a
// stdin marker is not mistaken for a flag. Arguments after "--" are kept
// as they are. The returned pointers point into `storage`.
std::vector<char*> NormalizeFlags(int argc, char** argv, std::vector<std::string>* storage);

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_CLI_ARGS_H_
