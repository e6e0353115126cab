#include "core/log/logger.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace enlist::log {
namespace {

absl::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "INFO";
}

// Escapes for both a logfmt quoted value and a JSON string: control bytes
// never reach the terminal or the log collector raw.
void AppendEscaped(std::string* out, absl::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
}

bool NeedsQuotes(absl::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  }
  return false;
}

}  // namespace

Logger::Logger(Format format, Level min_level, std::FILE* out, const Clock* clock)
    : format_(format), min_level_(min_level), out_(out), clock_(clock) {}

Logger::Logger(Format format, Level min_level, std::function<void(absl::string_view)> sink,
               const Clock* clock)
    : format_(format), min_level_(min_level), sink_(std::move(sink)), clock_(clock) {}

std::string Logger::Format_(Level level, absl::string_view msg,
                            const std::vector<Field>& fields) const {
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_->Now(), absl::UTCTimeZone());
  std::string line;
  if (format_ == Format::kJson) {
    absl::StrAppend(&line, "{\"time\":\"", ts, "\",\"level\":\"", LevelName(level), "\",\"msg\":\"");
    AppendEscaped(&line, msg);
    line.push_back('"');
    for (const auto& [k, v] : fields) {
      line.append(",\"");
      AppendEscaped(&line, k);
      line.append("\":\"");
      AppendEscaped(&line, v);
      line.push_back('"');
    }
    line.push_back('}');
    return line;
  }
  absl::StrAppend(&line, "time=", ts, " level=", LevelName(level), " msg=\"");
  AppendEscaped(&line, msg);
  line.push_back('"');
  for (const auto& [k, v] : fields) {
    absl::StrAppend(&line, " ", k, "=");
    if (NeedsQuotes(v)) {
      line.push_back('"');
      AppendEscaped(&line, v);
      line.push_back('"');
    } else {
      line.append(v);
    }
  }
  return line;
}

void Logger::Log(Level level, absl::string_view msg, std::initializer_list<Field> fields) {
  Log(level, msg, std::vector<Field>(fields));
}

void Logger::Log(Level level, absl::string_view msg, const std::vector<Field>& fields) {
  if (level < min_level_ || (out_ == nullptr && !sink_)) return;
  std::string line = Format_(level, msg, fields);
  absl::MutexLock l(&mu_);
  if (sink_) {
    sink_(line);
  } else {
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }
}

Logger& Logger::Discard() {
  static Logger* const kDiscard = new Logger(Format::kText, Level::kError, nullptr);
  return *kDiscard;
}

bool ParseLevel(absl::string_view s, Level* out) {
  std::string l = absl::AsciiStrToLower(s);
  if (l == "debug") *out = Level::kDebug;
  else if (l == "info") *out = Level::kInfo;
  else if (l == "warn" || l == "warning") *out = Level::kWarn;
  else if (l == "error") *out = Level::kError;
  else return false;
  return true;
}

bool ParseFormat(absl::string_view s, Format* out) {
  std::string l = absl::AsciiStrToLower(s);
  if (l == "text") *out = Format::kText;
  else if (l == "json") *out = Format::kJson;
  else return false;
  return true;
}

}  // namespace enlist::log
