// The one logger: structured lines in the seed's key=value form
//   level=WARN msg="Failure to join cluster occurred" error="..." remote_addr=...
// or one JSON object per line. Thread-safe; a line is written atomically.
#ifndef ENLIST_CORE_LOG_LOGGER_H_
#define ENLIST_CORE_LOG_LOGGER_H_

#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/util/clock.h"

namespace enlist::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

// A key and its value. Values are quoted when they need it.
using Field = std::pair<absl::string_view, std::string>;

class Logger {
 public:
  // Writes to `out` (not owned; stderr by default).
  explicit Logger(Format format = Format::kText, Level min_level = Level::kInfo,
                  std::FILE* out = stderr, const Clock* clock = &RealClock::Get());
  // Sends formatted lines to `sink` instead of a FILE (tests, embedding).
  Logger(Format format, Level min_level, std::function<void(absl::string_view)> sink,
         const Clock* clock = &RealClock::Get());

  // Logs `msg` with `fields`. Never put secrets or whole documents in them.
  void Log(Level level, absl::string_view msg, std::initializer_list<Field> fields = {});
  void Log(Level level, absl::string_view msg, const std::vector<Field>& fields);
  void Debug(absl::string_view msg, std::initializer_list<Field> f = {}) { Log(Level::kDebug, msg, f); }
  void Info(absl::string_view msg, std::initializer_list<Field> f = {}) { Log(Level::kInfo, msg, f); }
  void Warn(absl::string_view msg, std::initializer_list<Field> f = {}) { Log(Level::kWarn, msg, f); }
  void Error(absl::string_view msg, std::initializer_list<Field> f = {}) { Log(Level::kError, msg, f); }

  // Formats one line (without newline); exposed for tests.
  std::string Format_(Level level, absl::string_view msg, const std::vector<Field>& fields) const;

  // A logger that drops everything.
  static Logger& Discard();

 private:
  Format format_;
  Level min_level_;
  std::FILE* out_ = nullptr;
  std::function<void(absl::string_view)> sink_;
  const Clock* clock_;
  absl::Mutex mu_;
};

// Parses "debug|info|warn|error" and "text|json"; false if unknown.
bool ParseLevel(absl::string_view s, Level* out);
bool ParseFormat(absl::string_view s, Format* out);

}  // namespace enlist::log

#endif  // ENLIST_CORE_LOG_LOGGER_H_
