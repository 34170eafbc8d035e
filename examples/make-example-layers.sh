#!/usr/bin/env bash
# Regenerates the two bundled example layers (a tiny base "rootfs" and an app layer with a whiteout)
# deterministically with GNU tar. The outputs are committed; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
epoch=1700000000
tar_opts=(--sort=name --mtime=@$epoch --owner=0 --group=0 --numeric-owner --format=pax
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)

base="$work/base"
mkdir -p "$base"/{etc,root,home/admin,usr/bin,var/log,tmp}
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:Admin:/home/admin:/bin/sh\n' >"$base/etc/passwd"
printf 'root:x:0:\nadmin:x:1000:\n' >"$base/etc/group"
printf 'example\n' >"$base/etc/hostname"
printf 'PRETTY_NAME="amikit example"\nID=example\n' >"$base/etc/os-release"
printf '#!/bin/sh\necho hello from amikit\n' >"$base/usr/bin/hello"
printf 'a log line from the build host\n' >"$base/var/log/old.log"
chmod 0755 "$base/usr/bin/hello"; chmod 0700 "$base/root"; chmod 1777 "$base/tmp"
ln -s hello "$base/usr/bin/hi"
tar "${tar_opts[@]}" -C "$base" -cf - . | gzip -n -9 >layers/base.tar.gz.tmp
mv layers/base.tar.gz.tmp layers/base.tar.gz

app="$work/app"
mkdir -p "$app"/{etc,var/log,usr/share/app}
printf 'Welcome to an image built offline by amikit.\n' >"$app/etc/motd"
printf '{"listen": 8080}\n' >"$app/usr/share/app/config.json"
: >"$app/var/log/.wh.old.log"
tar "${tar_opts[@]}" -C "$app" -cf layers/app.tar.tmp .
mv layers/app.tar.tmp layers/app.tar
sha256sum layers/base.tar.gz layers/app.tar
