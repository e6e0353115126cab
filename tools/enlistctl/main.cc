// enlistctl: administers an Enlist cluster (like `tctl`).
//
//   enlistctl create -f token.yaml [--force]     (-f - reads stdin; at most
//       1 MiB, YAML syntax and depth checked before connecting)
//   enlistctl get tokens | get token NAME | rm token NAME
//   enlistctl get hosts
//   enlistctl get events [--since 1h|RFC3339] [--limit N]
//   enlistctl status
//   enlistctl identity export --out DIR
//   enlistctl azure inspect --document FILE|- [--token FILE] [--intermediates FILE]
//       [--roots FILE] [--jwks FILE] [--at RFC3339] [--nonce N] [--cloud NAME]
//       [--token-yaml FILE] [--require-all] [--format text|json]
//     offline diagnostics of a captured attested document (docs/troubleshooting.md);
//     exit 0 when no check failed (with --require-all: and none was skipped),
//     1 when one did, 2 for unusable input.
// Flags are written with dashes (--data-dir); underscores work too.
// Common flags: --data-dir (auth server's, default /var/lib/enlist-auth),
// --identity DIR (default <data-dir>/admin), --auth-server HOST:PORT,
// --format table|yaml|json.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/json/json.h"
#include "core/rpc/status.h"
#include "core/util/cli_args.h"
#include "core/util/file.h"
#include "grpcpp/grpcpp.h"
#include "methods/azure/inspect/inspector.h"
#include "tools/enlistctl/admin_client.h"
#include "tools/enlistctl/input.h"
#include "tools/enlistctl/token_input.h"
#include "yaml-cpp/yaml.h"

ABSL_FLAG(std::string, data_dir, "/var/lib/enlist-auth", "the auth server's data directory");
ABSL_FLAG(std::string, identity, "", "admin identity directory (default <data-dir>/admin)");
ABSL_FLAG(std::string, auth_server, "", "host:port of enlist-auth (default: from the identity)");
ABSL_FLAG(std::string, format, "table", "output format: table, yaml or json");
ABSL_FLAG(std::string, f, "", "resource file for create; - reads stdin");
ABSL_FLAG(bool, force, false, "create: overwrite existing resources");
ABSL_FLAG(std::string, since, "", "get events: only newer than a duration ago (1h) or an RFC 3339 time");
ABSL_FLAG(int, limit, 100, "get events: at most this many");
ABSL_FLAG(std::string, out, "", "identity export: destination directory");
ABSL_FLAG(std::string, timeout, "10s", "deadline of each call");
ABSL_FLAG(std::string, document, "", "azure inspect: attested document (IMDS response); - reads stdin");
ABSL_FLAG(std::string, token, "", "azure inspect: managed-identity access token file");
ABSL_FLAG(std::string, intermediates, "", "azure inspect: intermediates (PEM or concatenated DER)");
ABSL_FLAG(std::string, roots, "", "azure inspect: trusted roots PEM (default: Azure roots of /etc/ssl/certs)");
ABSL_FLAG(std::string, jwks, "", "azure inspect: the tenant's JWKS document");
ABSL_FLAG(std::string, at, "", "azure inspect: evaluate at this RFC 3339 time (default now)");
ABSL_FLAG(std::string, nonce, "", "azure inspect: the challenge the document should carry");
ABSL_FLAG(std::string, cloud, "public", "azure inspect: public, usgovernment, china or germany");
ABSL_FLAG(std::string, token_yaml, "", "azure inspect: token resource (token.yaml) for the allow rules");
ABSL_FLAG(bool, require_all, false, "azure inspect: a skipped check fails too");

namespace {

using namespace enlist::admin::v1;  // NOLINT: generated names
using enlist::json::Value;

constexpr char kUsage[] =
    "enlistctl <command> [flags]\n"
    "  create -f FILE|- [--force]   create tokens from YAML (token.yaml format)\n"
    "  get tokens | get token NAME  list tokens / show one\n"
    "  rm token NAME                delete a token\n"
    "  get hosts                    registered hosts\n"
    "  get events [--since] [--limit]  join attempts, newest first\n"
    "  status                       cluster status and CA pin\n"
    "  identity export --out DIR    copy the admin identity for remote use\n"
    "  azure inspect --document FILE|- [--token F] [--intermediates F] [--roots F]\n"
    "      [--jwks F] [--at RFC3339] [--nonce N] [--cloud C] [--token-yaml F]\n"
    "      [--require-all] [--format text|json]\n"
    "                               offline diagnostics of a captured Azure document;\n"
    "                               exit 0 no check failed, 1 a check failed, 2 bad input\n";

int Fail(const std::string& msg) {
  std::fprintf(stderr, "ERROR: %s\n", msg.c_str());
  return 1;
}

int FailStatus(const grpc::Status& s) {
  absl::Status a = enlist::rpc::FromGrpcStatus(s);
  if (absl::IsUnavailable(a)) {
    return Fail(absl::StrCat("cannot reach the auth server: ", a.message()));
  }
  return Fail(std::string(a.message()));
}

void SetDeadline(grpc::ClientContext* ctx) {
  absl::Duration d = absl::Seconds(10);
  if (!absl::ParseDuration(absl::GetFlag(FLAGS_timeout), &d)) d = absl::Seconds(10);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

std::string Time(int64_t unix_seconds) {
  if (unix_seconds == 0) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
}

// Prints rows as aligned columns.
void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  std::vector<std::string> dashes;
  for (size_t x : w) dashes.push_back(std::string(x, '-'));
  line(dashes);
  for (const auto& r : rows) line(r);
}

// Renders a JSON value as YAML (block style).
void EmitYaml(YAML::Emitter& e, const Value& v) {
  switch (v.type()) {
    case enlist::json::Type::kObject:
      e << YAML::BeginMap;
      for (const auto& [k, m] : v.object()) {
        e << YAML::Key << k << YAML::Value;
        EmitYaml(e, m);
      }
      e << YAML::EndMap;
      break;
    case enlist::json::Type::kArray:
      e << YAML::BeginSeq;
      for (const auto& m : v.array()) EmitYaml(e, m);
      e << YAML::EndSeq;
      break;
    case enlist::json::Type::kString: e << v.string_value(); break;
    case enlist::json::Type::kNumber: e << v.number_text(); break;
    case enlist::json::Type::kBool: e << (v.bool_value() ? "true" : "false"); break;
    default: e << YAML::Null;
  }
}

void PrintStructured(const Value& v) {
  if (absl::GetFlag(FLAGS_format) == "json") {
    std::printf("%s\n", enlist::json::Serialize(v).c_str());
  } else {
    YAML::Emitter e;
    EmitYaml(e, v);
    std::printf("%s\n", e.c_str());
  }
}

Value Attrs(const google::protobuf::RepeatedPtrField<Attribute>& attrs) {
  Value o = Value::Object();
  for (const auto& a : attrs) o.Set(a.key(), Value::String(a.value()));
  return o;
}

// Reads and checks the input of `create` (-f FILE|-) before any connection
// is made; nullopt after reporting why it is unusable.
std::optional<enlist::ctl::TokenInput> ReadCreateInput() {
  const std::string file = absl::GetFlag(FLAGS_f);
  if (file.empty()) {
    Fail("create: -f FILE is required (- reads stdin)");
    return std::nullopt;
  }
  absl::StatusOr<enlist::ctl::TokenInput> in = enlist::ctl::ReadTokenInput(file, std::cin);
  if (!in.ok()) {
    Fail(absl::StrCat("create: ", in.status().message()));
    return std::nullopt;
  }
  return *std::move(in);
}

int CmdCreate(AdminService::Stub& stub, const enlist::ctl::TokenInput& in) {
  CreateTokensRequest req;
  req.set_yaml(in.yaml);
  req.set_source(in.source);
  req.set_force(absl::GetFlag(FLAGS_force));
  CreateTokensResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.CreateTokens(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    // gRPC's own "Received message larger than max (N vs. M)": the server's
    // limits.max_message_bytes (default 256 KiB) is below this input.
    Fail(absl::StrCat("create: ", in.source, ": ", in.yaml.size(),
                      " bytes is more than the auth server accepts in one request (its "
                      "limits.max_message_bytes): split the file (",
                      s.error_message(), ")"));
    return 1;
  }
  if (!s.ok()) return FailStatus(s);
  for (const auto& n : resp.names()) std::printf("token \"%s\" has been created\n", n.c_str());
  return 0;
}

Value TokenValue(const Token& t) {
  Value o = Value::Object();
  o.Set("name", Value::String(t.name()));
  o.Set("join_method", Value::String(t.join_method()));
  Value roles = Value::Array();
  for (const auto& r : t.roles()) roles.Append(Value::String(r));
  o.Set("roles", std::move(roles));
  o.Set("expires", Value::String(Time(t.expires_unix())));
  return o;
}

int CmdGetTokens(AdminService::Stub& stub) {
  ListTokensResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.ListTokens(&ctx, ListTokensRequest(), &resp);
  if (!s.ok()) return FailStatus(s);
  const std::string fmt = absl::GetFlag(FLAGS_format);
  if (fmt == "yaml") {
    for (int i = 0; i < resp.tokens_size(); ++i) {
      std::printf("%s%s", i ? "---\n" : "", resp.tokens(i).yaml().c_str());
    }
    return 0;
  }
  if (fmt == "json") {
    Value arr = Value::Array();
    for (const auto& t : resp.tokens()) arr.Append(TokenValue(t));
    PrintStructured(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : resp.tokens()) {
    rows.push_back({t.name(), t.join_method(), absl::StrJoin(t.roles(), ","), Time(t.expires_unix())});
  }
  PrintTable({"Name", "Join Method", "Roles", "Expires"}, rows);
  return 0;
}

int CmdGetToken(AdminService::Stub& stub, const std::string& name) {
  GetTokenRequest req;
  req.set_name(name);
  Token t;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.GetToken(&ctx, req, &t);
  if (!s.ok()) return FailStatus(s);
  if (absl::GetFlag(FLAGS_format) == "json") {
    PrintStructured(TokenValue(t));
  } else {
    std::printf("%s", t.yaml().c_str());
  }
  return 0;
}

int CmdRmToken(AdminService::Stub& stub, const std::string& name) {
  DeleteTokenRequest req;
  req.set_name(name);
  DeleteTokenResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.DeleteToken(&ctx, req, &resp);
  if (!s.ok()) return FailStatus(s);
  std::printf("token \"%s\" has been deleted\n", name.c_str());
  return 0;
}

int CmdGetHosts(AdminService::Stub& stub) {
  ListHostsResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.ListHosts(&ctx, ListHostsRequest(), &resp);
  if (!s.ok()) return FailStatus(s);
  if (absl::GetFlag(FLAGS_format) != "table") {
    Value arr = Value::Array();
    for (const auto& h : resp.hosts()) {
      Value o = Value::Object();
      o.Set("host_id", Value::String(h.host_id()));
      o.Set("host_name", Value::String(h.host_name()));
      o.Set("join_method", Value::String(h.join_method()));
      o.Set("token_name", Value::String(h.token_name()));
      o.Set("role", Value::String(h.role()));
      o.Set("attributes", Attrs(h.attributes()));
      o.Set("first_join", Value::String(Time(h.first_join_unix())));
      o.Set("last_join", Value::String(Time(h.last_join_unix())));
      o.Set("join_count", Value::Int(h.join_count()));
      arr.Append(std::move(o));
    }
    PrintStructured(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : resp.hosts()) {
    rows.push_back({h.host_id(), h.host_name(), h.join_method(), h.token_name(), h.role(),
                    Time(h.last_join_unix()), absl::StrCat(h.join_count())});
  }
  PrintTable({"Host ID", "Host Name", "Method", "Token", "Role", "Last Join", "Joins"}, rows);
  return 0;
}

int CmdGetEvents(AdminService::Stub& stub) {
  ListEventsRequest req;
  const std::string since = absl::GetFlag(FLAGS_since);
  if (!since.empty()) {
    absl::Duration d;
    absl::Time t;
    std::string err;
    if (absl::ParseDuration(since, &d)) {
      req.set_since_unix(absl::ToUnixSeconds(absl::Now() - d));
    } else if (absl::ParseTime(absl::RFC3339_full, since, &t, &err)) {
      req.set_since_unix(absl::ToUnixSeconds(t));
    } else {
      return Fail("--since: expected a duration (1h) or an RFC 3339 time");
    }
  }
  req.set_limit(absl::GetFlag(FLAGS_limit));
  ListEventsResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.ListEvents(&ctx, req, &resp);
  if (!s.ok()) return FailStatus(s);
  auto when = [](const Event& e) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(e.time_unix_micros()), absl::UTCTimeZone());
  };
  if (absl::GetFlag(FLAGS_format) != "table") {
    Value arr = Value::Array();
    for (const auto& e : resp.events()) {
      Value o = Value::Object();
      o.Set("time", Value::String(when(e)));
      o.Set("result", Value::String(e.accepted() ? "joined" : "denied"));
      o.Set("join_method", Value::String(e.join_method()));
      o.Set("token_name", Value::String(e.token_name()));
      o.Set("host_name", Value::String(e.host_name()));
      o.Set("remote_addr", Value::String(e.remote_addr()));
      o.Set("host_id", Value::String(e.host_id()));
      o.Set("code", Value::String(e.code()));
      o.Set("reason", Value::String(e.reason()));
      o.Set("duration_ms", Value::Double(e.duration_micros() / 1000.0));
      o.Set("attributes", Attrs(e.attributes()));
      arr.Append(std::move(o));
    }
    PrintStructured(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : resp.events()) {
    rows.push_back({when(e), e.accepted() ? "joined" : "denied", e.join_method(), e.token_name(),
                    e.host_name(), e.remote_addr(), e.accepted() ? e.host_id() : e.reason()});
  }
  PrintTable({"Time", "Result", "Method", "Token", "Host Name", "Remote Addr", "Host ID / Reason"}, rows);
  return 0;
}

int CmdStatus(AdminService::Stub& stub) {
  ClusterStatus st;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub.GetStatus(&ctx, GetStatusRequest(), &st);
  if (!s.ok()) return FailStatus(s);
  if (absl::GetFlag(FLAGS_format) != "table") {
    Value o = Value::Object();
    o.Set("cluster", Value::String(st.cluster_name()));
    o.Set("version", Value::String(st.version()));
    o.Set("ca_pin", Value::String(st.ca_pin()));
    o.Set("ssh_ca_public_key", Value::String(st.ssh_ca_public_key()));
    o.Set("tokens", Value::Int(st.tokens()));
    o.Set("hosts", Value::Int(st.hosts()));
    o.Set("active_join_streams", Value::Int(st.active_join_streams()));
    o.Set("storage", Value::String(st.storage()));
    PrintStructured(o);
    return 0;
  }
  std::printf("Cluster:      %s\nVersion:      %s\nCA pin:       %s\nSSH CA:       %s\n"
              "Join methods: %s\nTokens:       %lld\nHosts:        %lld\nActive joins: %lld\nStorage:      %s\n",
              st.cluster_name().c_str(), st.version().c_str(), st.ca_pin().c_str(),
              st.ssh_ca_public_key().c_str(), absl::StrJoin(st.join_methods(), ", ").c_str(),
              static_cast<long long>(st.tokens()), static_cast<long long>(st.hosts()),
              static_cast<long long>(st.active_join_streams()), st.storage().c_str());
  return 0;
}

int CmdExportIdentity(const std::string& from) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return Fail("identity export: --out DIR is required");
  absl::Status s = enlist::MakeDirs(out, 0700);
  if (!s.ok()) return Fail(std::string(s.message()));
  for (const char* name : {"admin.crt", "admin.key", "ca.crt", "server"}) {
    absl::StatusOr<std::string> data = enlist::ReadFileCapped(absl::StrCat(from, "/", name), 64 * 1024);
    if (!data.ok()) return Fail(absl::StrCat("identity export: ", data.status().message()));
    s = enlist::WriteFileAtomic(absl::StrCat(out, "/", name), *data, 0600);
    if (!s.ok()) return Fail(std::string(s.message()));
  }
  std::printf("admin identity written to %s (use: enlistctl --identity %s ...)\n", out.c_str(), out.c_str());
  return 0;
}

// Reports unusable input to `azure inspect` (exit status 2).
int BadInput(const std::string& msg) {
  Fail(msg);
  return 2;
}

// Reads an input file of `azure inspect` ("-": stdin), at most 1 MiB.
absl::StatusOr<std::string> ReadInspectInput(const std::string& flag, const std::string& path) {
  constexpr size_t kMax = 1 << 20;
  absl::StatusOr<std::string> t = enlist::ctl::ReadInput(path, kMax, std::cin);
  if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat(flag, ": ", t.status().message()));
  return t;
}

// `azure inspect`: reads the files, runs the inspector, prints its report.
int CmdAzureInspect() {
  namespace inspect = enlist::azure::inspect;
  const std::string fmt = absl::GetFlag(FLAGS_format);
  const bool json = fmt == "json";
  if (!json && fmt != "text" && fmt != "table") return BadInput("--format: expected text or json");
  inspect::InspectOptions o;
  const std::string document = absl::GetFlag(FLAGS_document);
  const std::string token = absl::GetFlag(FLAGS_token);
  if (document.empty() && token.empty()) {
    return BadInput("azure inspect: --document FILE (- reads stdin) or --token FILE is required");
  }
  if (document == "-" && token == "-") return BadInput("azure inspect: only one input can be stdin");
  struct Input {
    const char* flag;
    std::string path;
    std::string* into;
  };
  for (const Input& in : {Input{"--document", document, &o.document},
                          Input{"--token", token, &o.access_token},
                          Input{"--intermediates", absl::GetFlag(FLAGS_intermediates), &o.intermediates},
                          Input{"--jwks", absl::GetFlag(FLAGS_jwks), &o.jwks},
                          Input{"--token-yaml", absl::GetFlag(FLAGS_token_yaml), &o.token_yaml}}) {
    if (in.path.empty()) continue;
    absl::StatusOr<std::string> data = ReadInspectInput(in.flag, in.path);
    if (!data.ok()) return BadInput(absl::StrCat("azure inspect: ", data.status().message()));
    *in.into = *std::move(data);
  }
  if (!absl::GetFlag(FLAGS_token_yaml).empty()) o.token_yaml_source = absl::GetFlag(FLAGS_token_yaml);
  o.roots_file = absl::GetFlag(FLAGS_roots);
  o.cloud = absl::GetFlag(FLAGS_cloud);
  if (!absl::GetFlag(FLAGS_nonce).empty()) o.nonce = absl::GetFlag(FLAGS_nonce);
  if (const std::string at = absl::GetFlag(FLAGS_at); !at.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, at, &t, &err)) {
      return BadInput(absl::StrCat("azure inspect: --at: expected an RFC 3339 time (2024-01-02T03:04:05Z): ", err));
    }
    o.at = t;
  }
  absl::StatusOr<inspect::InspectReport> report = inspect::Inspect(o);
  if (!report.ok()) return BadInput(absl::StrCat("azure ", report.status().message()));
  const bool require_all = absl::GetFlag(FLAGS_require_all);
  if (json) {
    std::printf("%s\n", enlist::json::Serialize(inspect::ReportToJson(*report, require_all)).c_str());
  } else {
    std::printf("%s", inspect::ReportToText(*report, require_all).c_str());
  }
  return inspect::ExitCode(*report, require_all);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> storage;
  std::vector<char*> argv_fixed = enlist::NormalizeFlags(argc, argv, &storage);
  // "--document -" reads stdin: join it into "--document=-" so the "-" is
  // taken as the value without Abseil's "did you really mean" warning.
  std::vector<std::string> joined;
  joined.reserve(argv_fixed.size());
  for (size_t i = 0; i < argv_fixed.size(); ++i) {
    std::string a = argv_fixed[i];
    if (i + 1 < argv_fixed.size() && a.rfind("--", 0) == 0 && a.size() > 2 &&
        a.find('=') == std::string::npos && std::string(argv_fixed[i + 1]) == "-") {
      a += "=-";
      ++i;
    }
    joined.push_back(std::move(a));
  }
  argv_fixed.clear();
  for (std::string& a : joined) argv_fixed.push_back(a.data());
  std::vector<char*> pos = absl::ParseCommandLine(static_cast<int>(argv_fixed.size()), argv_fixed.data());
  std::vector<std::string> args(pos.begin() + 1, pos.end());
  if (args.size() == 2 && args[0] == "azure" && args[1] == "inspect") return CmdAzureInspect();
  const std::string fmt = absl::GetFlag(FLAGS_format);
  if (fmt != "table" && fmt != "yaml" && fmt != "json") return Fail("--format: expected table, yaml or json");
  if (args.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  enlist::ctl::AdminTarget target;
  target.identity_dir = absl::GetFlag(FLAGS_identity).empty()
                            ? absl::GetFlag(FLAGS_data_dir) + "/admin"
                            : absl::GetFlag(FLAGS_identity);
  target.server = absl::GetFlag(FLAGS_auth_server);
  if (args[0] == "identity" && args.size() == 2 && args[1] == "export") {
    return CmdExportIdentity(target.identity_dir);
  }
  const bool create = args[0] == "create" && args.size() == 1;
  std::optional<enlist::ctl::TokenInput> create_input;
  if (create) {
    create_input = ReadCreateInput();
    if (!create_input.has_value()) return 1;
  }
  auto stub = enlist::ctl::DialAdmin(target);
  if (!stub.ok()) return Fail(std::string(stub.status().message()));
  AdminService::Stub& s = **stub;
  const std::string& cmd = args[0];
  if (create) return CmdCreate(s, *create_input);
  if (cmd == "get" && args.size() == 2 && args[1] == "tokens") return CmdGetTokens(s);
  if (cmd == "get" && args.size() == 3 && args[1] == "token") return CmdGetToken(s, args[2]);
  if (cmd == "rm" && args.size() == 3 && args[1] == "token") return CmdRmToken(s, args[2]);
  if (cmd == "get" && args.size() == 2 && args[1] == "hosts") return CmdGetHosts(s);
  if (cmd == "get" && args.size() == 2 && args[1] == "events") return CmdGetEvents(s);
  if (cmd == "status" && args.size() == 1) return CmdStatus(s);
  std::fprintf(stderr, "unknown command: %s\n%s", absl::StrJoin(args, " ").c_str(), kUsage);
  return 2;
}
