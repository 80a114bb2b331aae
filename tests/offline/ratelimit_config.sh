#!/bin/bash
# ratelimit_config.sh: -T accepts a full [limit] section and reports mistakes with file:line.
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
check() { nw_config_check "$@"; } # NAME ok|fail PATTERN (config on stdin)
check full ok <<'EOF'
[natwarden]
plugins = ratelimit

[ratelimit]
ignoreip = 127.0.0.1 172.31.0.0/16, 2001:db8::/32
event-interval = 30s
max-keys = 100k

[limit ssh-syn]
proto = tcp
dport = 22, 2222 8000-8100
port = public
direction = inbound
count = new-connections
key = src/24,src/64
rate = 10/s
burst = 20
action = offense
jail = sshd
offense-only = no
ignoreip = 198.51.100.0/24
max-keys = 1000
event-interval = 5s

[limit per-port]
key = src+dst-port
rate = 600/min
action = alert

[limit bw]
count = bytes
key = dst
port = private
direction = outbound
rate = 2mbit
burst = 64KiB
EOF
check unknown fail "unknown.conf:6" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
rate = 10/s
sped = 3
EOF
grep -q "unknown.conf:6" "$NW_TMP/unknown.out" || nw_fail "unknown key: no file:line: $(cat "$NW_TMP/unknown.out")"
grep -q "sped" "$NW_TMP/unknown.out" || nw_fail "unknown key not named"
check badrate fail "badrate.conf:5" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
rate = 10/fortnight
EOF
check norate fail "rate is required" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
burst = 3
EOF
check nojail fail "jail" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
rate = 10/s
action = offense
EOF
check bytesrate fail "byte rate" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
count = bytes
rate = 10/s
EOF
check badkey fail "badkey.conf:6" <<'EOF'
[natwarden]
plugins = ratelimit

[limit x]
rate = 10/s
key = src/64,src/24
EOF
exit 0
