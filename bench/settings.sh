# settings.sh — sourced by scripts/bench and scripts/bench-ab: the producer
# settings both producers run with, and the record pools. Needs $batch_size
# set, and $data_dir (the pools' cache) and die() before pool_file is called.

# ---- the one table of producer settings ----
# Shared settings, named for each client. Levels are pinned because the
# defaults differ: kprod follows Java (lz4 level 9), librdkafka uses lz4's
# fast mode; both get lz4 level 1 (fast mode) and zstd level 3.
linger_ms=5 buffer_bytes=$((64 << 20)) max_request=1048576 in_flight=5
kprod_props=(linger.ms=$linger_ms batch.size=$batch_size buffer.memory=$buffer_bytes acks=all
  enable.idempotence=true max.in.flight.requests.per.connection=$in_flight
  max.request.size=$max_request)
rdkafka_props=(linger.ms=$linger_ms batch.size=$batch_size queue.buffering.max.kbytes=$((buffer_bytes >> 10))
  acks=all enable.idempotence=true max.in.flight.requests.per.connection=$in_flight
  message.max.bytes=$max_request)
# The baseline's best case for what kprod has no setting for: a message count
# that never limits (only the byte bound does), batches bounded by batch.size
# alone, Nagle off (kprod sets TCP_NODELAY), and Java's murmur2 placement so
# both put every key on the same partition.
rdkafka_best=(queue.buffering.max.messages=10000000 batch.num.messages=1000000
  socket.nagle.disable=true partitioner=murmur2_random)
codec_level() { case "$1" in lz4) echo 1 ;; zstd) echo 3 ;; *) echo "" ;; esac; }
kprod_codec_props() { # CODEC
  local l; l=$(codec_level "$1")
  echo "compression.type=$1${l:+ compression.$1.level=$l}"
}
rdkafka_codec_props() {
  local l; l=$(codec_level "$1")
  echo "compression.type=$1${l:+ compression.level=$l}"
}

# ---- the record pools: KEY<TAB>VALUE, deterministic, cached in the build dir ----
pool_count() { local n=$((20000000 / ($1 + 18))); echo $((n > 50000 ? 50000 : n)); }
pool_file() { # VALUE_SIZE -> path, generated once
  local f=$data_dir/records-$1-$(pool_count "$1").tsv
  [[ -s "$f" ]] || luajit bench/gen_records.lua "$1" "$(pool_count "$1")" 7 "$f" || die "cannot generate $f"
  echo "$f"
}

