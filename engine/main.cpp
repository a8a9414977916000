#include "engine/cli.hpp"

int main(int argc, char** argv) { return ringsim::run_cli(argc, argv); }
