#pragma once
// The ringsim command line: gen, run, certs, bench, launch.
namespace ringsim {
int run_cli(int argc, char** argv);
}
