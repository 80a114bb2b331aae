#!/bin/bash
# tests/run-all.sh: install dependencies, build, and run every test — unit (gcc and ASan+UBSan),
# offline capture tests, end-to-end namespace tests (root), fuzz smoke — ending with
# "N passed, N failed". Run as root on Debian 12: sudo tests/run-all.sh
# Environment: NW_SKIP_DEPS=1 skips apt; NW_FUZZ_SECONDS (default 10) per fuzz target;
# NW_ONLY=unit|offline|e2e|fuzz runs one part.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
NW_SRC=$(cd "$(dirname "$0")/.." && pwd)
export NW_SRC
cd "$NW_SRC" || exit 1
passed=0 failed=0 skipped=0
failures=()

result() { # NAME STATUS(0 pass, 77 skip, else fail)
	case $2 in
	0) passed=$((passed + 1)); echo "PASS: $1" ;;
	77) skipped=$((skipped + 1)); echo "SKIP: $1" ;;
	*) failed=$((failed + 1)); failures+=("$1"); echo "FAIL: $1" ;;
	esac
}

want() { [ -z "${NW_ONLY:-}" ] || [ "$NW_ONLY" = "$1" ]; }

if [ -z "${NW_SKIP_DEPS:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		tools/nw-install-deps || { echo "dependency install failed"; echo "0 passed, 1 failed"; exit 1; }
	else
		echo "not root: skipping dependency install"
	fi
fi

build() { # DIR [configure args]
	local dir=$1
	shift
	if ! tools/build "$dir" "$@" >"$dir.build.log" 2>&1; then
		echo "build of $dir failed:"
		tail -40 "$dir.build.log"
		return 1
	fi
}

section() { echo "== $1 (at $SECONDS s)"; }

section build
mkdir -p "$NW_SRC/build"
if ! build "$NW_SRC/build"; then
	result "build (gcc, -Werror)" 1
	echo "$passed passed, $failed failed"
	exit 1
fi
result "build (gcc, -Werror)" 0

# unit tests: automake's harness writes one .trs per test program
run_unit() { # BUILDDIR LABEL
	local b=$1 label=$2 t name st
	# results of an earlier run must not count: a test program that no longer builds
	# leaves no fresh .trs, and make's own failure is counted below
	rm -f "$b"/tests/unit/*.trs "$b"/plugins/*/tests/*.trs
	if ! make -C "$b" -s -j"$(nproc)" check >"$b/check.out" 2>&1 &&
		! grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$b/check.out"; then
		result "$label make check" 1
		tail -30 "$b/check.out"
	fi
	for t in "$b"/tests/unit/*.trs "$b"/plugins/*/tests/*.trs; do
		[ -f "$t" ] || continue
		name=${t#"$b"/}
		name=${name%.trs}
		st=$(sed -n 's/^:test-result: //p' "$t" | head -1)
		case $st in
		PASS) result "$label $name" 0 ;;
		SKIP) result "$label $name" 77 ;;
		*) result "$label $name" 1; cat "${t%.trs}.log" 2>/dev/null | tail -30 ;;
		esac
	done
}

if want unit; then
	section unit
	run_unit "$NW_SRC/build" "unit"
	mkdir -p "$NW_SRC/build-asan"
	if build "$NW_SRC/build-asan" --enable-asan; then
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_unit "$NW_SRC/build-asan" "unit-asan"
	else
		result "build (ASan+UBSan)" 1
	fi
fi

# run_scripts LABEL BUILDDIR SCRIPT...: NW_JOBS (default 2) at a time; results in order
run_scripts() {
	local label=$1 b=$2 s i=0 n=0
	shift 2
	local dir
	dir=$(mktemp -d /tmp/nwtest-run.XXXXXX)
	local list=()
	for s in "$@"; do
		[ -f "$s" ] || continue
		case $s in *_lib.sh | */lib.sh) continue ;; esac
		list+=("$s")
	done
	for s in "${list[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "${NW_JOBS:-2}" ]; do
			wait -n 2>/dev/null || sleep 0.2
		done
		# a script may ask for more than 300 s with a line "# nw-timeout: SECONDS"
		local limit
		limit=$(sed -n 's/^# nw-timeout: \([0-9][0-9]*\)$/\1/p' "$s" | head -1)
		(
			t0=$SECONDS
			NW_BUILD=$b timeout -k 10 "${limit:-300}" bash "$s" >"$dir/$n.log" 2>&1
			echo "$? $((SECONDS - t0))" >"$dir/$n.st"
		) &
		n=$((n + 1))
	done
	wait
	for s in "${list[@]}"; do
		local st secs
		read -r st secs <"$dir/$i.st"
		result "$label ${s#"$NW_SRC"/} ($secs s)" "$st"
		[ "$st" = 0 ] || [ "$st" = 77 ] || tail -25 "$dir/$i.log"
		i=$((i + 1))
	done
	rm -rf "$dir"
}

if want offline; then
	section offline
	run_scripts offline "$NW_SRC/build" "$NW_SRC"/tests/offline/*.sh
	if [ -x "$NW_SRC/build-asan/natwarden" ]; then
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
			run_scripts offline-asan "$NW_SRC/build-asan" "$NW_SRC"/tests/offline/*.sh
	fi
fi

# the fuzz tree (clang) builds while the end-to-end tests run: they mostly wait on the network,
# and they do not depend on the machine's speed (issue 15), so the two overlap
# (disowned, so run_scripts' job count and waits leave it out; its status goes to a file)
fuzz_st="$NW_SRC/build-fuzz.status"
if want fuzz; then
	mkdir -p "$NW_SRC/build-fuzz"
	rm -f "$fuzz_st"
	( build "$NW_SRC/build-fuzz" CC=clang --enable-fuzz --disable-tests; echo $? >"$fuzz_st" ) &
	disown
fi

if want e2e; then
	section e2e
	if [ "$(id -u)" = 0 ]; then
		run_scripts e2e "$NW_SRC/build" "$NW_SRC"/tests/e2e/*.sh
	else
		echo "not root: end-to-end tests skipped"
		skipped=$((skipped + 1))
	fi
fi

if want fuzz; then
	section fuzz
	while [ ! -s "$fuzz_st" ]; do sleep 1; done
	if [ "$(cat "$fuzz_st")" = 0 ]; then
		fdir=$(mktemp -d /tmp/nwfuzz.XXXXXX)
		fl=()
		for f in "$NW_SRC"/build-fuzz/tests/fuzz/fuzz_*; do
			[ -x "$f" ] && fl+=("$f")
		done
		for f in "${fl[@]}"; do
			while [ "$(jobs -rp | wc -l)" -ge "${NW_JOBS:-2}" ]; do
				wait -n 2>/dev/null || sleep 0.2
			done
			name=$(basename "$f")
			(
				corpus="$NW_SRC/tests/fuzz/corpus/${name#fuzz_}"
				mkdir -p "$fdir/$name.work"
				"$f" -max_total_time="${NW_FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=2048 \
					-print_final_stats=1 "$fdir/$name.work" \
					$([ -d "$corpus" ] && echo "$corpus") >"$fdir/$name.log" 2>&1
				echo $? >"$fdir/$name.st"
			) &
		done
		wait
		for f in "${fl[@]}"; do
			name=$(basename "$f")
			st=$(cat "$fdir/$name.st")
			result "fuzz-smoke $name ($(sed -n 's/^stat::number_of_executed_units: *//p' "$fdir/$name.log") execs)" "$st"
			[ "$st" = 0 ] || tail -30 "$fdir/$name.log"
		done
		rm -rf "$fdir"
	else
		result "build (clang, libFuzzer)" 1
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "== done in $SECONDS s, $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
