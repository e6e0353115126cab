#include "core/json/json.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace enlist::json {
namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

// Quotes an untrusted key for an error message: at most 64 bytes, non-printable
// bytes as \xNN, so a hostile key cannot forge log lines.
std::string QuoteForMessage(absl::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (unsigned char c : s) {
    if (++n > 64) {
      out += "...";
      break;
    }
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += "\"";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Validates RFC 8259 §6 number syntax over the whole of `s`.
bool IsValidNumber(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i == s.size();
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "bool";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Parser: recursive descent over a cursor that never reads past `end_`.

class Parser {
 public:
  Parser(absl::string_view text, const ParseOptions& options)
      : text_(text), options_(options) {}

  absl::StatusOr<Value> ParseDocument() {
    Value v;
    SkipWhitespace();
    absl::Status s = ParseValue(&v, 0);
    if (!s.ok()) return s;
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("trailing data after value");
    return v;
  }

 private:
  absl::Status Error(absl::string_view reason) const {
    return absl::InvalidArgumentError(absl::StrCat("json: offset ", pos_, ": ", reason));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  // RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ).
  void SkipWhitespace() {
    while (!AtEnd()) {
      char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool ConsumeLiteral(absl::string_view lit) {
    if (text_.substr(pos_, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }

  absl::Status ParseValue(Value* out, int depth) {
    if (AtEnd()) return Error("unexpected end of input");
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"':
        out->type_ = Type::kString;
        return ParseString(&out->text_);
      case 't':
        if (!ConsumeLiteral("true")) return Error("invalid literal");
        *out = Value::Bool(true);
        return absl::OkStatus();
      case 'f':
        if (!ConsumeLiteral("false")) return Error("invalid literal");
        *out = Value::Bool(false);
        return absl::OkStatus();
      case 'n':
        if (!ConsumeLiteral("null")) return Error("invalid literal");
        *out = Value();
        return absl::OkStatus();
      default:
        if (Peek() == '-' || IsDigit(Peek())) return ParseNumber(out);
        if (Peek() == '/') return Error("comments are not allowed");
        return Error("unexpected character");
    }
  }

  // RFC 8259 §6.
  absl::Status ParseNumber(Value* out) {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (AtEnd()) return Error("invalid number");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) return Error("invalid number: leading zero");
    } else if (IsDigit(Peek())) {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    } else {
      return Error("invalid number");
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("invalid number: digit expected after '.'");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("invalid number: digit expected in exponent");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    out->type_ = Type::kNumber;
    out->text_ = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  // Reads 4 hex digits of a \u escape.
  absl::Status ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return Error("invalid \\u escape");
      }
    }
    pos_ += 4;
    *out = v;
    return absl::OkStatus();
  }

  // Validates one UTF-8 sequence starting at pos_ (RFC 3629 §4: no overlong
  // forms, no surrogates, nothing above U+10FFFF) and appends it.
  absl::Status ConsumeUtf8(std::string* out) {
    const unsigned char c0 = static_cast<unsigned char>(Peek());
    size_t len;
    uint32_t min;
    uint32_t cp;
    if (c0 < 0x80) {
      len = 1;
      min = 0;
      cp = c0;
    } else if ((c0 & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
      cp = c0 & 0x1F;
    } else if ((c0 & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
      cp = c0 & 0x0F;
    } else if ((c0 & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
      cp = c0 & 0x07;
    } else {
      return Error("invalid UTF-8");
    }
    if (text_.size() - pos_ < len) return Error("invalid UTF-8");
    for (size_t i = 1; i < len; ++i) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_ + i]);
      if ((c & 0xC0) != 0x80) return Error("invalid UTF-8");
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Error("invalid UTF-8");
    }
    out->append(text_.data() + pos_, len);
    pos_ += len;
    return absl::OkStatus();
  }

  // RFC 8259 §7. pos_ is at the opening quote.
  absl::Status ParseString(std::string* out) {
    ++pos_;
    out->clear();
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("control character in string");
      if (c < 0x80 && c != '\\') {
        // A run of plain ASCII is appended at once: attested documents and
        // JWT segments are long base64 strings, one byte at a time was the
        // parser's main cost.
        size_t end = pos_ + 1;
        while (end < text_.size()) {
          const unsigned char d = static_cast<unsigned char>(text_[end]);
          if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
          ++end;
        }
        out->append(text_.data() + pos_, end - pos_);
        pos_ = end;
        continue;
      }
      if (c != '\\') {
        absl::Status s = ConsumeUtf8(out);
        if (!s.ok()) return s;
        continue;
      }
      ++pos_;
      if (AtEnd()) return Error("unterminated string");
      const char e = Peek();
      ++pos_;
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          absl::Status s = ParseHex4(&cp);
          if (!s.ok()) return s;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // RFC 8259 §7: a high surrogate must be followed by a low one.
            if (!ConsumeLiteral("\\u")) return Error("lone high surrogate in \\u escape");
            uint32_t lo = 0;
            s = ParseHex4(&lo);
            if (!s.ok()) return s;
            if (lo < 0xDC00 || lo > 0xDFFF) return Error("lone high surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Error("invalid escape");
      }
    }
  }

  absl::Status CheckDepth(int depth) {
    if (depth > options_.max_depth) {
      return Error(absl::StrCat("nesting deeper than ", options_.max_depth));
    }
    return absl::OkStatus();
  }

  // RFC 8259 §5.
  absl::Status ParseArray(Value* out, int depth) {
    absl::Status s = CheckDepth(depth);
    if (!s.ok()) return s;
    ++pos_;
    *out = Value::Array();
    SkipWhitespace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      Value element;
      s = ParseValue(&element, depth);
      if (!s.ok()) return s;
      out->elements_.push_back(std::move(element));
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated array");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']' in array");
    }
  }

  // RFC 8259 §4. Duplicate names are allowed by the RFC ("SHOULD be unique")
  // but parsers disagree on which one wins; for security documents we reject.
  absl::Status ParseObject(Value* out, int depth) {
    absl::Status s = CheckDepth(depth);
    if (!s.ok()) return s;
    ++pos_;
    *out = Value::Object();
    absl::flat_hash_set<std::string> seen;
    SkipWhitespace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated object");
      if (Peek() != '"') return Error("expected string key in object");
      const size_t key_pos = pos_;
      std::string key;
      s = ParseString(&key);
      if (!s.ok()) return s;
      if (!seen.insert(key).second) {
        pos_ = key_pos;
        return Error(absl::StrCat("duplicate object key ", QuoteForMessage(key)));
      }
      SkipWhitespace();
      if (AtEnd() || Peek() != ':') return Error("expected ':' after object key");
      ++pos_;
      SkipWhitespace();
      Value v;
      s = ParseValue(&v, depth);
      if (!s.ok()) return s;
      out->members_.emplace_back(std::move(key), std::move(v));
      SkipWhitespace();
      if (AtEnd()) return Error("unterminated object");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}' in object");
    }
  }

  absl::string_view text_;
  const ParseOptions& options_;
  size_t pos_ = 0;
};

absl::StatusOr<Value> Parse(absl::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_size) {
    return absl::InvalidArgumentError(absl::StrCat("json: document of ", text.size(),
                                                   " bytes exceeds limit of ", options.max_size));
  }
  Parser parser(text, options);
  return parser.ParseDocument();
}

// ---------------------------------------------------------------------------
// Value

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Int(int64_t n) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = absl::StrCat(n);
  return v;
}

Value Value::Double(double d) {
  if (!std::isfinite(d)) return Value();
  Value v;
  v.type_ = Type::kNumber;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  v.text_ = buf;
  return v;
}

absl::StatusOr<Value> Value::NumberFromText(absl::string_view text) {
  if (!IsValidNumber(text)) return absl::InvalidArgumentError("json: invalid number text");
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::string(text);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::Array() {
  Value v;
  v.type_ = Type::kArray;
  return v;
}

Value Value::Object() {
  Value v;
  v.type_ = Type::kObject;
  return v;
}

const std::string& Value::string_value() const {
  return type_ == Type::kString ? text_ : EmptyString();
}

const std::string& Value::number_text() const {
  return type_ == Type::kNumber ? text_ : EmptyString();
}

absl::StatusOr<int64_t> Value::AsInt64() const {
  if (type_ != Type::kNumber) {
    return absl::InvalidArgumentError(
        absl::StrCat("json: expected number, got ", TypeName(type_)));
  }
  if (text_.find_first_of(".eE") != std::string::npos) {
    return absl::InvalidArgumentError("json: number is not an integer");
  }
  int64_t n;
  if (!absl::SimpleAtoi(text_, &n)) {
    return absl::InvalidArgumentError("json: integer out of int64 range");
  }
  return n;
}

absl::StatusOr<double> Value::AsDouble() const {
  if (type_ != Type::kNumber) {
    return absl::InvalidArgumentError(
        absl::StrCat("json: expected number, got ", TypeName(type_)));
  }
  double d;
  if (!absl::SimpleAtod(text_, &d) || !std::isfinite(d)) {
    return absl::InvalidArgumentError("json: number out of double range");
  }
  return d;
}

const std::vector<Value>& Value::array() const {
  static const std::vector<Value>* const kEmpty = new std::vector<Value>();
  return type_ == Type::kArray ? elements_ : *kEmpty;
}

const std::vector<Value::Member>& Value::object() const {
  static const std::vector<Member>* const kEmpty = new std::vector<Member>();
  return type_ == Type::kObject ? members_ : *kEmpty;
}

const Value* Value::Find(absl::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

void Value::Append(Value v) {
  if (type_ == Type::kArray) elements_.push_back(std::move(v));
}

void Value::Set(absl::string_view key, Value v) {
  if (type_ != Type::kObject) return;
  for (Member& m : members_) {
    if (m.first == key) {
      m.second = std::move(v);
      return;
    }
  }
  members_.emplace_back(std::string(key), std::move(v));
}

absl::StatusOr<const Value*> Value::GetTyped(absl::string_view key, Type want,
                                             bool required) const {
  if (type_ != Type::kObject) {
    return absl::InvalidArgumentError(absl::StrCat("json: field ", QuoteForMessage(key),
                                                   ": parent is ", TypeName(type_),
                                                   ", not object"));
  }
  const Value* v = Find(key);
  if (v == nullptr) {
    if (!required) return nullptr;
    return absl::InvalidArgumentError(
        absl::StrCat("json: missing required field ", QuoteForMessage(key)));
  }
  if (v->type_ != want) {
    return absl::InvalidArgumentError(absl::StrCat("json: field ", QuoteForMessage(key),
                                                   ": expected ", TypeName(want), ", got ",
                                                   TypeName(v->type_)));
  }
  return v;
}

absl::StatusOr<std::string> Value::GetString(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kString, true);
  if (!v.ok()) return v.status();
  return (*v)->text_;
}

absl::StatusOr<std::optional<std::string>> Value::GetOptionalString(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kString, false);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return std::optional<std::string>();
  return std::optional<std::string>((*v)->text_);
}

namespace {
absl::Status FieldError(absl::string_view key, const absl::Status& s) {
  // Re-home "json: <reason>" under the field name.
  absl::string_view msg = s.message();
  if (absl::StartsWith(msg, "json: ")) msg.remove_prefix(6);
  return absl::Status(s.code(), absl::StrCat("json: field ", QuoteForMessage(key), ": ", msg));
}
}  // namespace

absl::StatusOr<int64_t> Value::GetInt64(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kNumber, true);
  if (!v.ok()) return v.status();
  absl::StatusOr<int64_t> n = (*v)->AsInt64();
  if (!n.ok()) return FieldError(key, n.status());
  return n;
}

absl::StatusOr<std::optional<int64_t>> Value::GetOptionalInt64(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kNumber, false);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return std::optional<int64_t>();
  absl::StatusOr<int64_t> n = (*v)->AsInt64();
  if (!n.ok()) return FieldError(key, n.status());
  return std::optional<int64_t>(*n);
}

absl::StatusOr<bool> Value::GetBool(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kBool, true);
  if (!v.ok()) return v.status();
  return (*v)->bool_;
}

absl::StatusOr<std::optional<bool>> Value::GetOptionalBool(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kBool, false);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return std::optional<bool>();
  return std::optional<bool>((*v)->bool_);
}

absl::StatusOr<const Value*> Value::GetObject(absl::string_view key) const {
  return GetTyped(key, Type::kObject, true);
}

absl::StatusOr<const Value*> Value::GetOptionalObject(absl::string_view key) const {
  return GetTyped(key, Type::kObject, false);
}

absl::StatusOr<const Value*> Value::GetArray(absl::string_view key) const {
  return GetTyped(key, Type::kArray, true);
}

absl::StatusOr<std::vector<std::string>> Value::GetStringArray(absl::string_view key) const {
  absl::StatusOr<const Value*> v = GetTyped(key, Type::kArray, true);
  if (!v.ok()) return v.status();
  std::vector<std::string> out;
  out.reserve((*v)->elements_.size());
  for (size_t i = 0; i < (*v)->elements_.size(); ++i) {
    const Value& e = (*v)->elements_[i];
    if (!e.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("json: field ", QuoteForMessage(key), "[",
                                                     i, "]: expected string, got ",
                                                     TypeName(e.type_)));
    }
    out.push_back(e.text_);
  }
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.bool_ == b.bool_;
    case Type::kNumber:
    case Type::kString:
      return a.text_ == b.text_;
    case Type::kArray:
      return a.elements_ == b.elements_;
    case Type::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Serializer

namespace {

void SerializeString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void SerializeTo(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull:
      out->append("null");
      return;
    case Type::kBool:
      out->append(v.bool_value() ? "true" : "false");
      return;
    case Type::kNumber:
      out->append(v.number_text());
      return;
    case Type::kString:
      SerializeString(v.string_value(), out);
      return;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.array()) {
        if (!first) out->push_back(',');
        first = false;
        SerializeTo(e, out);
      }
      out->push_back(']');
      return;
    }
    case Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Value::Member& m : v.object()) {
        if (!first) out->push_back(',');
        first = false;
        SerializeString(m.first, out);
        out->push_back(':');
        SerializeTo(m.second, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

std::string Serialize(const Value& value) {
  std::string out;
  SerializeTo(value, &out);
  return out;
}

}  // namespace enlist::json
