#!/usr/bin/env bash
# Fetch real test footage that ships in Debian packages, for benchmarks and training.
#
# Usage: benchmarks/fetch_footage.sh DIR
#   DIR/debs     the downloaded .deb files
#   DIR/extract  their unpacked contents
# Then lists the video files found. Needs apt-get (Debian or Ubuntu); the download
# step needs no root, but `apt-get update` does, so run as root or with sudo.
# Nothing here is committed: the footage stays in DIR.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi

packages=(python3-mecavideo opencv-doc libjxl-testdata)
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
mkdir -p "$dir/debs" "$dir/extract"

if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
else
    sudo apt-get update -qq
fi

# apt-get download writes into the current folder.
(cd "$dir/debs" && apt-get download "${packages[@]}")

for deb in "$dir"/debs/*.deb; do
    dpkg -x "$deb" "$dir/extract"
done

echo "videos in $dir/extract:"
find "$dir/extract" -type f \
    \( -iname '*.avi' -o -iname '*.mp4' -o -iname '*.mkv' -o -iname '*.mov' \
       -o -iname '*.webm' -o -iname '*.ogv' -o -iname '*.mpg' -o -iname '*.y4m' \) \
    -print | sort
