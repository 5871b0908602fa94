// genesys-stream: command line entry point (CLI11 only; the composition root is app/daemon).
#include <cstdio>

int main() {
    std::puts("genesys-stream");
    return 0;
}
