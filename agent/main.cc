// enlist-agent: joins this machine to an Enlist cluster and keeps its
// identity fresh. Everything lives in the agent library (agent/cli.h).
#include <cstdio>

#include "agent/cli.h"

int main(int argc, char** argv) { return enlist::agent::RunCli(argc, argv, stdout, stderr); }
