#include "base/admin_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

namespace rill {
namespace {

// A port the kernel just handed out and released.
uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(AdminServer, ServesMetricsAndProbes) {
  std::atomic<bool> ready{false};
  std::atomic<bool> have_metrics{false};
  admin_server server("127.0.0.1", free_port(),
                      {.metrics = [&]() -> std::optional<std::string> {
                         if (!have_metrics) return std::nullopt;
                         return std::string("rill_up 1\n");
                       },
                       .ready = [&] { return ready.load(); },
                       .live = [] { return true; }});
  ASSERT_TRUE(server.start());
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  have_metrics = true;
  r = client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "rill_up 1\n");
  EXPECT_NE(r->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
  r = client.Get("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  ready = true;
  r = client.Get("/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = client.Get("/live");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = client.Get("/nothing-here");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  server.stop();
  EXPECT_FALSE(client.Get("/live"));
}

TEST(AdminServer, RefusesATakenPort) {
  admin_endpoints endpoints{.metrics = [] { return std::optional<std::string>("x\n"); },
                            .ready = [] { return true; },
                            .live = [] { return true; }};
  admin_server first("127.0.0.1", free_port(), endpoints);
  ASSERT_TRUE(first.start());
  admin_server second("127.0.0.1", first.port(), endpoints);
  EXPECT_FALSE(second.start());
}

}  // namespace
}  // namespace rill
