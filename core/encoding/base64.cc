#include "core/encoding/base64.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace enlist::encoding {
namespace {

constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(absl::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = byte(i) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Symbol values by byte, -1 for bytes outside the alphabet: a table lookup
// instead of a chain of range tests (base64 decoding of documents and JWTs
// showed in join profiles).
struct SymbolTable {
  int8_t value[256];
  constexpr explicit SymbolTable(const char* alphabet) : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 64; ++i) value[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  }
};
constexpr SymbolTable kStdSymbols(kStdAlphabet);
constexpr SymbolTable kUrlSymbols(kUrlAlphabet);

absl::StatusOr<std::string> DecodeSymbols(absl::string_view text, bool url,
                                          absl::string_view prefix) {
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": invalid length ", text.size()));
  }
  const int8_t* table = url ? kUrlSymbols.value : kStdSymbols.value;
  std::string out(text.size() / 4 * 3 + 2, '\0');
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int v = table[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, ": invalid character at offset ", i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  out.resize(n);
  // 2 leftover bits (after 3 symbols) or 4 (after 2 symbols) must be zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": non-canonical trailing bits"));
  }
  return out;
}

}  // namespace

std::string Base64Encode(absl::string_view data) { return Encode(data, kStdAlphabet, true); }

std::string Base64UrlEncode(absl::string_view data) { return Encode(data, kUrlAlphabet, false); }

absl::StatusOr<std::string> Base64Decode(absl::string_view text) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("base64: invalid length ", text.size()));
  }
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  absl::string_view body = text.substr(0, text.size() - pad);
  if (pad == 1 && text[text.size() - 2] == '=') {
    return absl::InvalidArgumentError("base64: invalid padding");
  }
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '=') return absl::InvalidArgumentError("base64: invalid padding");
  }
  return DecodeSymbols(body, /*url=*/false, "base64");
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  return DecodeSymbols(text, /*url=*/true, "base64url");
}

}  // namespace enlist::encoding
