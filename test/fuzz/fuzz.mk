# libFuzzer targets (test/fuzz/fuzz-*.c), included by the Makefile. Built with
# clang in their own build directory, the library instrumented for coverage
# and checked by AddressSanitizer + UBSan.
#   make fuzz               build, then run each target FUZZ_RUNS times (deterministic)
#   make fuzz FUZZ_RUNS=... FUZZ_TARGETS="config vmconf"
FUZZ_B ?= build-fuzz
FUZZ_CC ?= clang
FUZZ_RUNS ?= 200000
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_ALL := $(patsubst test/fuzz/fuzz-%.c,%,$(filter-out test/fuzz/fuzz-util.c,$(wildcard test/fuzz/fuzz-*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)

fuzz:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE)" \
		LDFLAGS="-fsanitize=fuzzer $(FUZZ_SANITIZE)" fuzz-build
	sh test/fuzz/run.sh $(FUZZ_B) $(FUZZ_RUNS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz-%)

$(B)/fuzz/fuzz-%: $(B)/test/fuzz/fuzz-%.o $(B)/test/fuzz/fuzz-util.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

.PHONY: fuzz fuzz-build
