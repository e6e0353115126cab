"""enlist_proto_library: C++ (and optionally gRPC) code from .proto files.

Runs Debian's /usr/bin/protoc with /usr/bin/grpc_cpp_plugin in a genrule, so
the build needs no rules_proto download. Import paths are workspace-relative
(`import "proto/join/v1/join.proto";`); the well-known types come from
/usr/include (libprotobuf-dev).
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def enlist_proto_library(name, srcs, deps = [], grpc = False, visibility = None, testonly = False):
    """Generates `name` (a cc_library of the messages), `name + "_srcs"` (the
    .proto files) and, with grpc, `name + "_grpc"` (the service stubs). The
    message library links only protobuf, never gRPC/OpenSSL, so crypto code
    built against BoringSSL may use the messages.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other enlist_proto_library targets whose .proto files srcs import.
      grpc: also generate gRPC service stubs (*.grpc.pb.{h,cc}).
      visibility: visibility of the generated targets.
      testonly: mark everything testonly.
    """
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + [d + "_srcs" for d in deps],
        visibility = visibility,
        testonly = testonly,
    )
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + ".pb.h" for b in bases] + [b + ".pb.cc" for b in bases]
    if grpc:
        outs += [b + ".grpc.pb.h" for b in bases] + [b + ".grpc.pb.cc" for b in bases]

    pkg = native.package_name()
    files = " ".join(["%s/%s" % (pkg, s) if pkg else s for s in srcs])
    cmd = "/usr/bin/protoc -I. -I/usr/include --cpp_out=$(GENDIR)"
    if grpc:
        cmd += " --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)"
    cmd += " " + files

    native.genrule(
        name = name + "_gen",
        srcs = [":" + name + "_srcs"],
        outs = outs,
        cmd = cmd,
        testonly = testonly,
        visibility = ["//visibility:private"],
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".pb.cc") and not o.endswith(".grpc.pb.cc")],
        hdrs = [o for o in outs if o.endswith(".pb.h") and not o.endswith(".grpc.pb.h")],
        # Generated code is not ours to keep warning-free.
        copts = ["-Wno-unused-parameter"],
        deps = deps + ["@system//:protobuf"],
        visibility = visibility,
        testonly = testonly,
    )
    if grpc:
        cc_library(
            name = name + "_grpc",
            srcs = [o for o in outs if o.endswith(".grpc.pb.cc")],
            hdrs = [o for o in outs if o.endswith(".grpc.pb.h")],
            copts = ["-Wno-unused-parameter"],
            deps = [":" + name, "@system//:grpc"],
            visibility = visibility,
            testonly = testonly,
        )
