#include "core/metrics/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersPrometheusText) {
  Counter joins("enlist_joins_total", "Join attempts.", {"method", "result"});
  joins.Add({"azure", "accepted"});
  joins.Add({"azure", "accepted"});
  joins.Add({"token", "denied"});
  Histogram latency("enlist_join_seconds", "Join latency.", {0.01, 0.1, 1}, {"method"});
  latency.Observe({"azure"}, 0.05);
  latency.Observe({"azure"}, 2);
  GaugeFunc open("enlist_join_streams", "Open streams.", [] { return 3.0; });
  Registry r;
  r.Add(&joins);
  r.Add(&latency);
  r.Add(&open);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE enlist_joins_total counter\n"));
  EXPECT_THAT(text, HasSubstr("enlist_joins_total{method=\"azure\",result=\"accepted\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("enlist_joins_total{method=\"token\",result=\"denied\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("enlist_join_seconds_bucket{method=\"azure\",le=\"0.01\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("enlist_join_seconds_bucket{method=\"azure\",le=\"0.10000000000000001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("enlist_join_seconds_bucket{method=\"azure\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("enlist_join_seconds_count{method=\"azure\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("enlist_join_streams 3\n"));
  EXPECT_EQ(joins.Value({"azure", "accepted"}), 2u);
}

TEST(MetricsTest, EscapesLabelValues) {
  Counter c("c", "h", {"l"});
  c.Add({"a\"b\\c\nd"});
  std::string out;
  c.Render(&out);
  EXPECT_THAT(out, HasSubstr("c{l=\"a\\\"b\\\\c\\nd\"} 1"));
}

}  // namespace
}  // namespace enlist::metrics
