#include "app/cli.hpp"

int main(int argc, char** argv) {
    return shunt::run_cli(argc, argv);
}
