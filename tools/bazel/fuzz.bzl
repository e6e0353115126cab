"""enlist_fuzz_test: one libFuzzer target, two lives.

In the normal build it is a cc_test that replays every file of its seed
corpus through LLVMFuzzerTestOneInput (a regression test). Under
--config=fuzz (clang) it links libFuzzer and is run by tools/fuzz.sh.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

def enlist_fuzz_test(name, srcs, corpus, deps = [], tags = [], **kwargs):
    """Declares a fuzz target.

    Args:
      name: target name (by convention ending in _fuzz_test).
      srcs: sources defining LLVMFuzzerTestOneInput.
      corpus: label of a filegroup with the seed corpus files.
      deps: libraries under test.
      tags: extra tags ("fuzz" is always added).
      **kwargs: passed to cc_test.
    """
    cc_test(
        name = name,
        srcs = srcs,
        data = [corpus],
        args = ["$(locations %s)" % corpus],
        deps = deps + select({
            "//third_party:fuzzing": [],
            "//conditions:default": ["//core/testing:fuzz_replay_main"],
        }),
        linkopts = select({
            "//third_party:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = tags + ["fuzz"],
        **kwargs
    )
