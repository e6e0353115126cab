// The one YAML edge of the project. yaml-cpp throws; everything here catches
// and returns absl::Status, so callers never see an exception. Errors name
// the source, line and column ("token.yaml:7:5: spec.roles: ...").
#ifndef ENLIST_CORE_CONFIG_YAML_H_
#define ENLIST_CORE_CONFIG_YAML_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace YAML {
class Node;
}

namespace enlist::config {

// Limits applied before and while reading a YAML document.
struct YamlLimits {
  size_t max_bytes = 1 << 20;   // whole input
  int max_depth = 32;           // nesting of maps and sequences
  size_t max_documents = 1000;  // documents in one stream
};

// A read-only view of one node of a parsed document. Cheap to copy; shares
// ownership of the document. `path` is the dotted path used in errors
// ("spec.azure.allow[0]"). Thread-compatible.
class YamlNode {
 public:
  // Parses every document in `text` ("---" separated). Empty documents are
  // skipped. Fails with kInvalidArgument for syntax errors (with line and
  // column), input over the limits, or nesting deeper than max_depth
  // ("<source>:<line>[:<column>]: yaml: nesting deeper than 32", also when
  // the document is too deep for yaml-cpp itself, about 500 levels).
  static absl::StatusOr<std::vector<YamlNode>> ParseAll(absl::string_view text,
                                                        absl::string_view source,
                                                        const YamlLimits& limits = {});

  // Parses exactly one document; zero or several is an error.
  static absl::StatusOr<YamlNode> ParseOne(absl::string_view text, absl::string_view source,
                                           const YamlLimits& limits = {});

  YamlNode(const YamlNode&);
  YamlNode& operator=(const YamlNode&);
  ~YamlNode();

  bool IsMap() const;
  bool IsSequence() const;
  bool IsScalar() const;
  bool IsNull() const;

  // "source:line:column" of this node (1-based), or the source alone.
  std::string Where() const;
  // Dotted path of this node from the document root ("" for the root).
  const std::string& path() const { return path_; }

  // Returns an error whose message is "<where>: <path>: <what>".
  absl::Status Error(absl::StatusCode code, absl::string_view what) const;
  absl::Status Invalid(absl::string_view what) const {
    return Error(absl::StatusCode::kInvalidArgument, what);
  }

  // Map access. Child returns nullopt when the key is absent (or null).
  // Fails if this node is not a map.
  absl::StatusOr<std::optional<YamlNode>> Child(absl::string_view key) const;
  // Like Child but absence is an error ("missing field").
  absl::StatusOr<YamlNode> Required(absl::string_view key) const;
  // Map entries in document order. Fails if not a map or a key repeats.
  absl::StatusOr<std::vector<std::pair<std::string, YamlNode>>> Entries() const;
  // Fails naming the first key not in `allowed` ("unknown field "x"").
  absl::Status CheckFields(absl::Span<const absl::string_view> allowed) const;

  // Sequence elements. Fails if not a sequence.
  absl::StatusOr<std::vector<YamlNode>> Elements() const;

  // Scalars. AsString accepts any scalar; AsBool only true/false.
  absl::StatusOr<std::string> AsString() const;
  absl::StatusOr<bool> AsBool() const;
  absl::StatusOr<int64_t> AsInt() const;
  // A sequence of scalars (flow `[a, b]` or block), each non-empty.
  absl::StatusOr<std::vector<std::string>> AsStringList() const;

  // Canonical YAML text of this node (block style).
  std::string Dump() const;

 private:
  struct Doc;
  YamlNode(std::shared_ptr<const Doc> doc, std::unique_ptr<YAML::Node> node, std::string path);

  std::shared_ptr<const Doc> doc_;
  std::unique_ptr<YAML::Node> node_;
  std::string path_;
};

}  // namespace enlist::config

#endif  // ENLIST_CORE_CONFIG_YAML_H_
