#!/bin/sh
# A project-local PostgreSQL cluster run as the 'postgres' system user
# (PostgreSQL refuses to run as root).
#
#   pg.sh start DIR PORT [--fast]   create (first time) and start; prints
#                                   nothing, writes DIR/conninfo
#   pg.sh createdb DIR NAME         new database owned by 'orgo'; prints its
#                                   libpq connection string
#   pg.sh stop DIR                  stop the cluster
#
# --fast turns off fsync for throw-away test clusters.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg.sh start|createdb|stop DIR ...}
dir=${2:?usage: pg.sh $cmd DIR ...}

as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	else
		runuser -u postgres -- "$@"
	fi
}

conninfo() {
	# $1 database name
	printf 'host=127.0.0.1 port=%s dbname=%s user=orgo password=%s\n' \
	    "$(cat "$dir/port")" "$1" "$(cat "$dir/orgo.password")"
}

psql_admin() {
	as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" \
	    -p "$(cat "$dir/port")" -d postgres "$@"
}

case "$cmd" in
start)
	port=${3:?usage: pg.sh start DIR PORT [--fast]}
	fast=${4:-}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data" "$dir/run"
		chown postgres "$dir" "$dir/data" "$dir/run"
		chmod 700 "$dir/data"
		umask 077
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
		    > "$dir/orgo.password"
		as_postgres "$PGBIN/initdb" -D "$dir/data" -U postgres \
		    --auth-local=peer --auth-host=scram-sha-256 \
		    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
		{
			echo "listen_addresses = '127.0.0.1'"
			echo "unix_socket_directories = '$dir/run'"
			echo "max_connections = 200"
			if [ "$fast" = --fast ]; then
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} >> "$dir/data/postgresql.conf"
		echo "$port" > "$dir/port"
		new=1
	else
		new=0
		echo "$port" > "$dir/port"
	fi
	as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
	    -o "-p $port" -w -t 60 start >/dev/null
	if [ "$new" = 1 ]; then
		psql_admin -c "CREATE ROLE orgo LOGIN PASSWORD '$(cat "$dir/orgo.password")'"
		psql_admin -c "CREATE DATABASE orgo OWNER orgo"
	fi
	conninfo orgo > "$dir/conninfo"
	chmod 600 "$dir/conninfo"
	;;
createdb)
	name=${3:?usage: pg.sh createdb DIR NAME}
	case "$name" in
	*[!a-z0-9_]*) echo "pg.sh: invalid database name '$name'" >&2; exit 1 ;;
	esac
	psql_admin -c "CREATE DATABASE $name OWNER orgo"
	conninfo "$name"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop \
		    >/dev/null
	fi
	;;
*)
	echo "pg.sh: unknown command '$cmd'" >&2
	exit 2
	;;
esac
