#include "core/util/cli_args.h"

namespace enlist {

std::vector<char*> NormalizeFlags(int argc, char** argv, std::vector<std::string>* storage) {
  storage->clear();
  storage->reserve(argc);
  bool rest = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && !rest) {
      if (a == "--") {
        rest = true;
      } else if ((a == "-f" || a == "--f") && i + 1 < argc && std::string(argv[i + 1]) == "-") {
        a = "--f=-";
        ++i;
      } else if (a.size() > 2 && a[0] == '-') {
        size_t start = a[1] == '-' ? 2 : 1;
        size_t end = a.find('=');
        if (end == std::string::npos) end = a.size();
        for (size_t j = start; j < end; ++j) {
          if (a[j] == '-') a[j] = '_';
        }
      }
    }
    storage->push_back(std::move(a));
  }
  std::vector<char*> out;
  for (std::string& s : *storage) out.push_back(s.data());
  return out;
}

}  // namespace enlist
