"""Repository rules binding Bazel to Debian-packaged rules and tools."""

def _debian_rules_cc_impl(ctx):
    src = ctx.path(ctx.attr.path)
    if not src.exists:
        fail("%s is missing: install the Debian package bazel-rules-cc (tools/bootstrap.sh)" % src)

    # Mirror the tree with symlinks so nothing is copied into the project.
    for entry in src.readdir():
        ctx.symlink(entry, entry.basename)

    # Replace cc/private/rules_impl with real files for the two that load
    # use_cpp_toolchain, which Bazel 4.2.3's toolchain_utils.bzl lacks.
    rules_impl = "cc/private/rules_impl"
    ctx.delete("cc")
    for entry in src.get_child("cc").readdir():
        if entry.basename != "private":
            ctx.symlink(entry, "cc/" + entry.basename)
    for entry in src.get_child("cc").get_child("private").readdir():
        if entry.basename != "rules_impl":
            ctx.symlink(entry, "cc/private/" + entry.basename)
    for entry in src.get_child("cc").get_child("private").get_child("rules_impl").readdir():
        dest = rules_impl + "/" + entry.basename
        if entry.basename in ["compiler_flag.bzl", "cc_flags_supplier.bzl"]:
            text = ctx.read(entry)
            text = text.replace(", \"use_cpp_toolchain\")", ")")
            text = text.replace("use_cpp_toolchain()", "[\"@bazel_tools//tools/cpp:toolchain_type\"]")
            ctx.file(dest, text, executable = False)
        else:
            ctx.symlink(entry, dest)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(mandatory = True)},
    local = True,
)

_COVERAGE_BUILD = """
package(default_visibility = ["//visibility:public"])

sh_binary(
    name = "coverage_report_generator",
    srcs = ["unavailable.sh"],
)

sh_binary(
    name = "lcov_merger",
    srcs = ["unavailable.sh"],
)
"""

_UNAVAILABLE_SH = """#!/bin/sh
echo "coverage is not available in the offline build" >&2
exit 1
"""

def _offline_coverage_tools_impl(ctx):
    ctx.file("BUILD.bazel", _COVERAGE_BUILD)
    ctx.file("unavailable.sh", _UNAVAILABLE_SH, executable = True)

offline_coverage_tools = repository_rule(
    implementation = _offline_coverage_tools_impl,
)
