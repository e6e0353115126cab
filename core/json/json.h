// Strict JSON (RFC 8259) parser, value tree and compact serializer.
//
// Our own code, written for untrusted input: the caller gives a size cap and
// a nesting-depth cap; duplicate object keys, trailing garbage, comments,
// NaN/Infinity, leading zeros, invalid UTF-8 and lone surrogates are all
// rejected. Numbers are kept as their source text and converted on access, so
// an integer claim is exact. Every parse error names the byte offset where
// parsing stopped.
//
// Thread-safety: Value is a plain value type; concurrent const access is safe,
// mutation needs external synchronisation. Parse() and Serialize() are
// reentrant.
#ifndef ENLIST_CORE_JSON_JSON_H_
#define ENLIST_CORE_JSON_JSON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::json {

// The six JSON value kinds.
enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

// Returns the lowercase JSON name of `type` ("null", "bool", "number",
// "string", "array", "object"), used in error messages.
absl::string_view TypeName(Type type);

// A JSON value: null, bool, number (kept as text), string (UTF-8), array, or
// object (members in insertion order, unique keys).
//
// Accessors named `*_value()` / `array()` / `object()` require the matching
// type (checked with is_*()); calling them on another type returns an empty
// or default value, never crashes. The `Get*` helpers on objects return
// statuses that name the field, for use on untrusted documents.
class Value {
 public:
  // One object member.
  using Member = std::pair<std::string, Value>;

  // Constructs null.
  Value() = default;

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  // An integer number.
  static Value Int(int64_t n);
  // A number from a double; non-finite values become null (JSON has no NaN).
  static Value Double(double d);
  // A number given as JSON number text; kInvalidArgument unless `text` is a
  // valid RFC 8259 number.
  static absl::StatusOr<Value> NumberFromText(absl::string_view text);
  // A string; `s` should be valid UTF-8 (Serialize() writes it as is).
  static Value String(std::string s);
  // An empty array / object.
  static Value Array();
  static Value Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The boolean; false unless is_bool().
  bool bool_value() const { return type_ == Type::kBool && bool_; }
  // The string (decoded, UTF-8); empty unless is_string().
  const std::string& string_value() const;
  // The number's source text (e.g. "1e3", "-0.5"); empty unless is_number().
  const std::string& number_text() const;
  // The number as an exact int64: kInvalidArgument if not a number, not an
  // integer literal (fraction or exponent), or out of range.
  absl::StatusOr<int64_t> AsInt64() const;
  // The number as a double: kInvalidArgument if not a number or not finite
  // as a double (e.g. 1e999).
  absl::StatusOr<double> AsDouble() const;

  // The elements; empty unless is_array().
  const std::vector<Value>& array() const;
  // The members in insertion order; empty unless is_object().
  const std::vector<Member>& object() const;

  // Returns the member named `key`, or nullptr if absent or not an object.
  // The pointer is valid until this value is mutated or destroyed.
  const Value* Find(absl::string_view key) const;

  // Appends `v` to an array (no-op on other types).
  void Append(Value v);
  // Sets `key` to `v` on an object: replaces an existing member in place,
  // else appends (no-op on other types).
  void Set(absl::string_view key, Value v);

  // Object helpers for untrusted documents. Required getters fail with
  // kInvalidArgument `json: missing required field "key"` when absent and
  // `json: field "key": expected string, got number` on a type mismatch.
  // Optional getters return nullopt when absent (JSON null counts as
  // present, so it is a type mismatch) and the same mismatch error.
  absl::StatusOr<std::string> GetString(absl::string_view key) const;
  absl::StatusOr<std::optional<std::string>> GetOptionalString(absl::string_view key) const;
  absl::StatusOr<int64_t> GetInt64(absl::string_view key) const;
  absl::StatusOr<std::optional<int64_t>> GetOptionalInt64(absl::string_view key) const;
  absl::StatusOr<bool> GetBool(absl::string_view key) const;
  absl::StatusOr<std::optional<bool>> GetOptionalBool(absl::string_view key) const;
  // The member as an object / array; the pointer is owned by this value.
  absl::StatusOr<const Value*> GetObject(absl::string_view key) const;
  absl::StatusOr<const Value*> GetOptionalObject(absl::string_view key) const;  // null if absent
  absl::StatusOr<const Value*> GetArray(absl::string_view key) const;
  // The member as an array whose elements are all strings.
  absl::StatusOr<std::vector<std::string>> GetStringArray(absl::string_view key) const;

  // Structural equality (numbers compare by source text).
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  friend class Parser;

  absl::StatusOr<const Value*> GetTyped(absl::string_view key, Type want, bool required) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // string contents or number text
  std::vector<Value> elements_;
  std::vector<Member> members_;
};

// Limits for Parse(). The defaults suit small protocol documents (IMDS,
// OIDC discovery, JWKS, JWT segments); callers tighten them per use.
struct ParseOptions {
  // Documents longer than this many bytes are rejected before parsing.
  size_t max_size = 1 << 20;
  // Maximum nesting of arrays/objects (the top-level container is depth 1).
  int max_depth = 32;
};

// Parses one JSON text (RFC 8259 §2: any value, surrounded by optional
// whitespace, nothing after it). Fails with kInvalidArgument and a message
// `json: offset N: <reason>` (reason examples: "duplicate object key \"a\"",
// "nesting deeper than 32", "invalid UTF-8", "trailing data after value").
// Oversized input fails with `json: document of N bytes exceeds limit of M`.
absl::StatusOr<Value> Parse(absl::string_view text, const ParseOptions& options = {});

// Writes `value` as compact JSON (no whitespace, object keys in insertion
// order, strings escaped per RFC 8259 §7 with non-ASCII UTF-8 left as is).
std::string Serialize(const Value& value);

}  // namespace enlist::json

#endif  // ENLIST_CORE_JSON_JSON_H_
