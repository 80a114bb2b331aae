#!/bin/bash
# ban_config.sh: -T accepts the Redis Sentinel settings of [ban] and reports mistakes in them with
# file:line (nothing is connected by -T).
source "$NW_SRC/tests/lib.sh"
nw_tmpdir
[ -x "$NATWARDEN" ] || nw_fail "no $NATWARDEN"
nw_config_check sentinels ok <<'CONF'
[natwarden]
plugins = ban

[ban]
store = redis
redis_sentinels = 198.51.100.10:26379, [2001:db8::1]:26380 sentinel-a.internal
redis_master_name = nw-bans_1
redis_sentinel_password = s3cret
CONF
nw_config_check bad_port fail "bad_port.conf:6: \[ban\] redis_sentinels: bad address '198.51.100.10:99999'" <<'CONF'
[natwarden]
plugins = ban

[ban]
store = redis
redis_sentinels = 198.51.100.11 198.51.100.10:99999
CONF
nw_config_check bad_host fail "bad_host.conf:5: \[ban\] redis_sentinels: bad address 'sentinel..a:26379'" <<'CONF'
[natwarden]
plugins = ban
[ban]
store = redis
redis_sentinels = sentinel..a:26379
CONF
nw_config_check bad_v6 fail "redis_sentinels: bad address '\[2001:db8::1\]26379'" <<'CONF'
[natwarden]
plugins = ban
[ban]
redis_sentinels = [2001:db8::1]26379
CONF
nw_config_check too_many fail "redis_sentinels: at most 8" <<'CONF'
[natwarden]
plugins = ban
[ban]
redis_sentinels = a b c d e f g h i
CONF
nw_config_check bad_name fail "bad_name.conf:5: \[ban\] redis_master_name: letters" <<'CONF'
[natwarden]
plugins = ban
[ban]
redis_sentinels = 198.51.100.10
redis_master_name = my master
CONF
nw_config_check redis_ok ok <<'CONF'
[natwarden]
plugins = ban
[ban]
store = redis
redis = [2001:db8::7]:6380
CONF
nw_config_check redis_unix ok <<'CONF'
[natwarden]
plugins = ban
[ban]
store = redis
redis = unix:/run/redis/redis.sock
CONF
nw_config_check redis_bad fail "redis_bad.conf:5: \[ban\] redis: bad address '::1:6379'" <<'CONF'
[natwarden]
plugins = ban
[ban]
store = redis
redis = ::1:6379
CONF
nw_config_check redis_nopath fail "redis: unix: needs a socket path" <<'CONF'
[natwarden]
plugins = ban
[ban]
redis = unix:
CONF
echo "ok: ban redis and sentinel config"
