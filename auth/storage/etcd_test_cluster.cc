#include "auth/storage/etcd_test_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "auth/storage/etcd_client.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

// Binds 127.0.0.1:0 and returns the socket and port; the caller closes it
// right before the port is used, so concurrent picks cannot collide.
absl::StatusOr<std::pair<int, int>> PickPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError("etcd cluster: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return absl::UnavailableError("etcd cluster: cannot bind a loopback port");
  }
  return std::make_pair(fd, static_cast<int>(ntohs(addr.sin_port)));
}

bool Serves(const std::string& endpoint, const EtcdTlsOptions& tls) {
  EtcdClientOptions o;
  o.endpoints = {endpoint};
  o.tls = tls;
  o.max_attempts = 1;
  o.dial_timeout = absl::Milliseconds(300);
  o.request_timeout = absl::Milliseconds(500);
  auto client = EtcdClient::Create(o);
  if (!client.ok()) return false;
  etcdserverpb::RangeRequest req;
  req.set_key("/");
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  return (*client)
      ->Call(EtcdCallKind::kIdempotent,
             [&](EtcdConnection& c, grpc::ClientContext& ctx) {
               return c.kv->Range(&ctx, req, &resp);
             })
      .ok();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdTestCluster>> EtcdTestCluster::Start(
    EtcdTestClusterOptions options) {
  std::string binary = options.etcd_binary;
  if (binary.empty()) {
    const char* env = getenv("ENLIST_ETCD");
    binary = env != nullptr ? env : "/usr/bin/etcd";
  }
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "etcd cluster: ", binary, " is not installed (apt-get install etcd-server)"));
  }
  ENLIST_RETURN_IF_ERROR(MakeDirs(options.dir, 0700));
  auto cluster = std::unique_ptr<EtcdTestCluster>(new EtcdTestCluster());
  cluster->options_ = options;
  cluster->dir_ = options.dir;
  const bool tls = !options.tls.cert_file.empty();
  const int n = options.members;
  std::vector<int> fds, peer_ports, client_ports;
  for (int i = 0; i < 2 * n; ++i) {
    absl::StatusOr<std::pair<int, int>> p = PickPort();
    if (!p.ok()) {
      for (int fd : fds) ::close(fd);
      return p.status();
    }
    fds.push_back(p->first);
    (i < n ? peer_ports : client_ports).push_back(p->second);
  }
  std::vector<std::string> initial;
  for (int i = 0; i < n; ++i) {
    initial.push_back(absl::StrCat("m", i, "=http://127.0.0.1:", peer_ports[i]));
    cluster->endpoints_.push_back(absl::StrCat("127.0.0.1:", client_ports[i]));
  }
  static std::atomic<int> counter{0};
  const std::string token = absl::StrCat("enlist-test-", ::getpid(), "-", counter++);
  for (int fd : fds) ::close(fd);
  for (int i = 0; i < n; ++i) {
    const std::string peer = absl::StrCat("http://127.0.0.1:", peer_ports[i]);
    const std::string client =
        absl::StrCat(tls ? "https://" : "http://", cluster->endpoints_[i]);
    std::vector<std::string> argv = {
        binary,
        absl::StrCat("--name=m", i),
        absl::StrCat("--data-dir=", options.dir, "/m", i),
        "--listen-peer-urls=" + peer,
        "--initial-advertise-peer-urls=" + peer,
        "--listen-client-urls=" + client,
        "--advertise-client-urls=" + client,
        "--initial-cluster=" + absl::StrJoin(initial, ","),
        "--initial-cluster-state=new",
        "--initial-cluster-token=" + token,
        absl::StrCat("--heartbeat-interval=", options.heartbeat_ms),
        absl::StrCat("--election-timeout=", options.election_ms),
        "--logger=zap",
        "--log-level=warn",
    };
    if (tls) {
      argv.push_back("--cert-file=" + options.tls.cert_file);
      argv.push_back("--key-file=" + options.tls.key_file);
      argv.push_back("--trusted-ca-file=" + options.tls.trusted_ca_file);
      if (options.tls.client_cert_auth) argv.push_back("--client-cert-auth");
    }
    absl::StatusOr<testing::Subprocess> p =
        testing::Subprocess::Start(argv, absl::StrCat(options.dir, "/m", i, ".log"));
    if (!p.ok()) return p.status();
    cluster->members_.push_back(std::make_unique<testing::Subprocess>(*std::move(p)));
    cluster->argv_.push_back(std::move(argv));
  }
  for (int i = 0; i < n; ++i) ENLIST_RETURN_IF_ERROR(cluster->WaitServing(i));
  return cluster;
}

absl::Status EtcdTestCluster::WaitServing(int i) {
  const std::string& e = endpoints_[i];
  if (!testing::WaitFor([&] { return Serves(e, options_.probe_tls); }, options_.start_timeout)) {
    return absl::UnavailableError(absl::StrCat("etcd cluster: member m", i, " at ", e,
                                               " did not serve within ",
                                               absl::FormatDuration(options_.start_timeout),
                                               "; log:\n", Log(i)));
  }
  return absl::OkStatus();
}

absl::Status EtcdTestCluster::Restart(int i) {
  if (members_[i] != nullptr) return absl::FailedPreconditionError("etcd cluster: member is running");
  // Its own log: the first run's stays readable.
  absl::StatusOr<testing::Subprocess> p =
      testing::Subprocess::Start(argv_[i], absl::StrCat(dir_, "/m", i, ".restarted.log"));
  if (!p.ok()) return p.status();
  members_[i] = std::make_unique<testing::Subprocess>(*std::move(p));
  return WaitServing(i);
}

absl::StatusOr<std::string> EtcdTestCluster::Etcdctl(const std::vector<std::string>& args) const {
  // etcdctl (etcd-client): the hand-written proto/etcd subset has no
  // Compact or Maintenance RPCs, and only tests need them.
  std::vector<std::string> argv = {"/usr/bin/etcdctl",
                                   "--endpoints=" + absl::StrJoin(LiveEndpoints(), ","),
                                   "--command-timeout=10s"};
  const EtcdTlsOptions& tls = options_.probe_tls;
  if (!tls.ca_file.empty()) argv.push_back("--cacert=" + tls.ca_file);
  if (!tls.cert_file.empty()) {
    argv.push_back("--cert=" + tls.cert_file);
    argv.push_back("--key=" + tls.key_file);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  absl::StatusOr<int> rc = testing::RunCommand(argv, &output, absl::Seconds(20));
  if (!rc.ok()) return rc.status();
  if (*rc != 0) {
    return absl::UnavailableError(absl::StrCat("etcd cluster: etcdctl ", absl::StrJoin(args, " "),
                                               " exited ", *rc, ": ", output));
  }
  return output;
}

absl::Status EtcdTestCluster::Compact(int64_t revision) {
  return Etcdctl({"compact", absl::StrCat(revision), "--physical"}).status();
}

absl::StatusOr<int> EtcdTestCluster::Leader() const {
  // "endpoint status -w simple": one line per live member,
  // "<endpoint>, <id>, <version>, <db size>, <is leader>, ...".
  absl::StatusOr<std::string> out = Etcdctl({"endpoint", "status", "-w", "simple"});
  if (!out.ok()) return out.status();
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ", ");
    if (fields.size() < 5 || fields[4] != "true") continue;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      if (endpoints_[i] == fields[0] || "https://" + endpoints_[i] == fields[0]) {
        return static_cast<int>(i);
      }
    }
  }
  return absl::UnavailableError(absl::StrCat("etcd cluster: no leader in: ", *out));
}

EtcdTestCluster::~EtcdTestCluster() {
  // The data is thrown away, so there is nothing to shut down cleanly for;
  // SIGTERM would make a leader try to hand over to members also stopping.
  for (auto& m : members_) {
    if (m != nullptr) m->Signal(SIGKILL);
  }
  for (auto& m : members_) {
    if (m != nullptr) m->Wait(absl::Seconds(10)).IgnoreError();
  }
  members_.clear();
  std::error_code ec;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    std::filesystem::remove_all(absl::StrCat(dir_, "/m", i), ec);
  }
}

void EtcdTestCluster::Kill(int i) {
  if (members_[i] == nullptr) return;
  members_[i]->Signal(SIGKILL);
  members_[i]->Wait(absl::Seconds(10)).IgnoreError();
  members_[i].reset();
}

std::vector<std::string> EtcdTestCluster::LiveEndpoints() const {
  std::vector<std::string> live;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i] != nullptr) live.push_back(endpoints_[i]);
  }
  return live;
}

std::string EtcdTestCluster::Log(int i) const {
  absl::StatusOr<std::string> log =
      ReadFileCapped(absl::StrCat(dir_, "/m", i, ".log"), 1024 * 1024);
  return log.ok() ? *log : "";
}

}  // namespace enlist::storage
