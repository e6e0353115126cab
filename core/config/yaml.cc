#include "core/config/yaml.h"

#include <algorithm>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/yaml.h"

namespace enlist::config {

struct YamlNode::Doc {
  std::string source;
};

namespace {

std::string JoinPath(absl::string_view base, absl::string_view key) {
  if (base.empty()) return std::string(key);
  return absl::StrCat(base, ".", key);
}

// Rejects nesting beyond `max_depth` without recursing past it.
bool WithinDepth(const YAML::Node& n, int depth, int max_depth) {
  if (depth > max_depth) return false;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!WithinDepth(kv.second, depth + 1, max_depth)) return false;
    }
  } else if (n.IsSequence()) {
    for (const auto& v : n) {
      if (!WithinDepth(v, depth + 1, max_depth)) return false;
    }
  }
  return true;
}

absl::Status SyntaxError(absl::string_view source, const YAML::Exception& e) {
  if (e.mark.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": yaml: ", e.msg));
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ":",
                                                 e.mark.column + 1, ": yaml: ", e.msg));
}

}  // namespace

YamlNode::YamlNode(std::shared_ptr<const Doc> doc, std::unique_ptr<YAML::Node> node,
                   std::string path)
    : doc_(std::move(doc)), node_(std::move(node)), path_(std::move(path)) {}

YamlNode::YamlNode(const YamlNode& o)
    : doc_(o.doc_), node_(std::make_unique<YAML::Node>(*o.node_)), path_(o.path_) {}

YamlNode& YamlNode::operator=(const YamlNode& o) {
  if (this != &o) {
    doc_ = o.doc_;
    node_ = std::make_unique<YAML::Node>(*o.node_);
    path_ = o.path_;
  }
  return *this;
}

YamlNode::~YamlNode() = default;

absl::StatusOr<std::vector<YamlNode>> YamlNode::ParseAll(absl::string_view text,
                                                         absl::string_view source,
                                                         const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": yaml: input is ", text.size(), " bytes, over the limit of ",
                     limits.max_bytes));
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard (about 500 levels) stops the parse before
    // WithinDepth can run, with the message "bad file": say what it means.
    // It fired at a node of depth e.depth() - 1 (the root is 0), so the
    // document is deeper than that minus one, whatever max_depth says.
    const int limit = std::min(limits.max_depth, e.depth() - 2);
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1,
                                                   ": yaml: nesting deeper than ", limit));
  } catch (const YAML::Exception& e) {
    return SyntaxError(source, e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": yaml: ", e.what()));
  }
  auto doc = std::make_shared<Doc>();
  doc->source = std::string(source);
  std::vector<YamlNode> out;
  for (auto& d : docs) {
    if (!d.IsDefined() || d.IsNull()) continue;
    if (out.size() >= limits.max_documents) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": yaml: more than ", limits.max_documents, " documents"));
    }
    if (!WithinDepth(d, 0, limits.max_depth)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", d.Mark().line + 1, ": yaml: nesting deeper than ", limits.max_depth));
    }
    out.push_back(YamlNode(doc, std::make_unique<YAML::Node>(d), ""));
  }
  return out;
}

absl::StatusOr<YamlNode> YamlNode::ParseOne(absl::string_view text, absl::string_view source,
                                            const YamlLimits& limits) {
  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> docs, ParseAll(text, source, limits));
  if (docs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": yaml: expected one document, found ", docs.size()));
  }
  return std::move(docs[0]);
}

bool YamlNode::IsMap() const { return node_->IsMap(); }
bool YamlNode::IsSequence() const { return node_->IsSequence(); }
bool YamlNode::IsScalar() const { return node_->IsScalar(); }
bool YamlNode::IsNull() const { return !node_->IsDefined() || node_->IsNull(); }

std::string YamlNode::Where() const {
  YAML::Mark m = node_->Mark();
  if (m.is_null()) return doc_->source;
  return absl::StrCat(doc_->source, ":", m.line + 1, ":", m.column + 1);
}

absl::Status YamlNode::Error(absl::StatusCode code, absl::string_view what) const {
  if (path_.empty()) return absl::Status(code, absl::StrCat(Where(), ": ", what));
  return absl::Status(code, absl::StrCat(Where(), ": ", path_, ": ", what));
}

absl::StatusOr<std::vector<std::pair<std::string, YamlNode>>> YamlNode::Entries() const {
  if (!node_->IsMap()) return Invalid("expected a mapping");
  std::vector<std::pair<std::string, YamlNode>> out;
  try {
    for (const auto& kv : *node_) {
      if (!kv.first.IsScalar()) return Invalid("mapping keys must be scalars");
      std::string key = kv.first.Scalar();
      for (const auto& seen : out) {
        if (seen.first == key) {
          YamlNode k(doc_, std::make_unique<YAML::Node>(kv.first), path_);
          return k.Invalid(absl::StrCat("duplicate field \"", key, "\""));
        }
      }
      out.emplace_back(key, YamlNode(doc_, std::make_unique<YAML::Node>(kv.second),
                                     JoinPath(path_, key)));
    }
  } catch (const YAML::Exception& e) {
    return SyntaxError(doc_->source, e);
  }
  return out;
}

absl::StatusOr<std::optional<YamlNode>> YamlNode::Child(absl::string_view key) const {
  ENLIST_ASSIGN_OR_RETURN(auto entries, Entries());
  for (auto& [k, v] : entries) {
    if (k == key) {
      if (v.IsNull()) return std::optional<YamlNode>();
      return std::optional<YamlNode>(std::move(v));
    }
  }
  return std::optional<YamlNode>();
}

absl::StatusOr<YamlNode> YamlNode::Required(absl::string_view key) const {
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> c, Child(key));
  if (!c.has_value()) return Invalid(absl::StrCat("missing field \"", key, "\""));
  return std::move(*c);
}

absl::Status YamlNode::CheckFields(absl::Span<const absl::string_view> allowed) const {
  ENLIST_ASSIGN_OR_RETURN(auto entries, Entries());
  for (const auto& [k, v] : entries) {
    bool ok = false;
    for (absl::string_view a : allowed) ok = ok || a == k;
    if (!ok) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      return v.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("unknown field (allowed: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<YamlNode>> YamlNode::Elements() const {
  if (!node_->IsSequence()) return Invalid("expected a list");
  std::vector<YamlNode> out;
  size_t i = 0;
  for (const auto& v : *node_) {
    out.push_back(YamlNode(doc_, std::make_unique<YAML::Node>(v), absl::StrCat(path_, "[", i, "]")));
    ++i;
  }
  return out;
}

absl::StatusOr<std::string> YamlNode::AsString() const {
  if (!node_->IsScalar()) return Invalid("expected a string");
  return node_->Scalar();
}

absl::StatusOr<bool> YamlNode::AsBool() const {
  ENLIST_ASSIGN_OR_RETURN(std::string s, AsString());
  std::string l = absl::AsciiStrToLower(s);
  if (l == "true") return true;
  if (l == "false") return false;
  return Invalid(absl::StrCat("expected true or false, got \"", s, "\""));
}

absl::StatusOr<int64_t> YamlNode::AsInt() const {
  ENLIST_ASSIGN_OR_RETURN(std::string s, AsString());
  int64_t v;
  if (!absl::SimpleAtoi(s, &v)) return Invalid(absl::StrCat("expected an integer, got \"", s, "\""));
  return v;
}

absl::StatusOr<std::vector<std::string>> YamlNode::AsStringList() const {
  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> elems, Elements());
  std::vector<std::string> out;
  for (const YamlNode& e : elems) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, e.AsString());
    if (s.empty()) return e.Invalid("empty string");
    out.push_back(std::move(s));
  }
  return out;
}

std::string YamlNode::Dump() const {
  YAML::Emitter out;
  out << *node_;
  return out.c_str();
}

}  // namespace enlist::config
