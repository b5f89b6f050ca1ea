# Sourced by the test scripts: installs Debian packages they need, and nothing else about the
# machine changes. Not run on its own.
#
#   apt_install PACKAGE...   apt-get install -y (extra apt-get options may be passed too)

# A fresh image has no package lists: the first install of a run fetches them, later ones reuse them.
APT_LISTS_FETCHED=""

apt_install() {
  if [ -z "$APT_LISTS_FETCHED" ]; then
    apt-get update -qq
    APT_LISTS_FETCHED=1
  fi
  # A subshell, so that its EXIT trap removes the policy the moment the install is over.
  (
    # Debian starts a package's services on install (nginx and Caddy on port 80, a PostgreSQL
    # cluster on 5432); the tests run their own instances on free ports and must leave none of
    # Debian's running. policy-rc.d exiting 101 tells invoke-rc.d and deb-systemd-invoke not to
    # start anything. A policy already in place is the machine's own and stays untouched.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      trap 'rm -f "$policy"' EXIT
      printf '#!/bin/sh\n# scripts/apt.sh, during one apt-get install: start no service\nexit 101\n' >"$policy"
      chmod 755 "$policy"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  )
}
