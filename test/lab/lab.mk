# The real-kernel lab (test/lab/, see test/lab/README.md), included by the
# Makefile. Each target boots a Debian 12 guest under QEMU (no KVM needed)
# with the project installed by `make install DESTDIR=...` (built in
# test/lab/cache/build, not in $(B)). They need root, and the packages of
# test/lab/packages.
#   make lab          every scenario, one fresh boot each; LAB_FLAGS=--keep
#                     keeps all console logs, LAB_SCENARIOS="a b" picks some
#   make demo-lab     status, apply, status on a real kernel
#   make bench        floor vs apply + notifier (reload, restart) vs the seed's script
#   make lab-clean    drop the cache (kernel, guest root, images, logs)
LAB_FLAGS ?=
LAB_SCENARIOS ?=
BENCH_ROUNDS ?= 1

lab:
	sh test/lab/lab.sh $(LAB_FLAGS) $(LAB_SCENARIOS)

demo-lab:
	sh test/lab/demo.sh

bench:
	sh test/lab/bench.sh $(BENCH_ROUNDS)

lab-clean:
	rm -rf test/lab/cache

.PHONY: lab demo-lab bench lab-clean
