#include "core/log/logger.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace enlist::log {
namespace {

absl::Time T0() { return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone()); }

TEST(LoggerTest, TextLineMatchesSeedShape) {
  ManualClock clock(T0());
  std::vector<std::string> lines;
  Logger logger(Format::kText, Level::kInfo, [&](absl::string_view l) { lines.emplace_back(l); },
                &clock);
  logger.Warn("Failure to join cluster occurred",
              {{"error", "checking Azure challenge solution: nonce mismatch"},
               {"remote_addr", "10.0.0.5:54321"},
               {"token_name", "my-token"},
               {"token_join_method", "azure"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "time=2026-11-23T10:00:00.000Z level=WARN msg=\"Failure to join cluster occurred\" "
            "error=\"checking Azure challenge solution: nonce mismatch\" "
            "remote_addr=10.0.0.5:54321 token_name=my-token token_join_method=azure");
}

TEST(LoggerTest, EscapesControlCharactersAndFiltersLevel) {
  ManualClock clock(T0());
  std::vector<std::string> lines;
  Logger logger(Format::kJson, Level::kWarn, [&](absl::string_view l) { lines.emplace_back(l); },
                &clock);
  logger.Info("dropped");
  logger.Error("bad\ninput", {{"k", "a\"b\x01"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "{\"time\":\"2026-11-23T10:00:00.000Z\",\"level\":\"ERROR\",\"msg\":\"bad\\ninput\","
            "\"k\":\"a\\\"b\\u0001\"}");
}

TEST(LoggerTest, ParsesLevelAndFormatNames) {
  Level l;
  Format f;
  EXPECT_TRUE(ParseLevel("WARN", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud", &l));
  EXPECT_TRUE(ParseFormat("json", &f));
  EXPECT_EQ(f, Format::kJson);
  EXPECT_FALSE(ParseFormat("xml", &f));
}

}  // namespace
}  // namespace enlist::log
