#!/usr/bin/perl
# Writes a small GeoLite2-Country style .mmdb for the GEOIP tests with MaxMind's own
# writer, so the reader is tested against the real file format rather than a fake.
#
# Usage: make_test_mmdb.pl OUTPUT.mmdb [INPUT]
# INPUT (or standard input) has one "CIDR CC" line per network; '#' starts a comment.
# Everything the script prints, errors included, goes to standard output so that the
# C++ caller (run_command captures stdout only) can show it in its exception.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

open STDERR, '>&', \*STDOUT or die "cannot redirect stderr: $!";
$| = 1;

my $output = shift @ARGV or die "usage: $0 OUTPUT.mmdb [INPUT]\n";

my %types = (
    country            => 'map',
    registered_country => 'map',
    iso_code           => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version    => 6,
    record_size   => 24,
    database_type => 'GeoLite2-Country',
    languages     => ['en'],
    description   => { en => 'shunt test database' },
    # IPv4 networks go to ::a.b.c.d/(96+len); aliasing makes ::ffff:a.b.c.d and
    # 2002:: (6to4) point at that subtree too, as in MaxMind's published databases.
    alias_ipv6_to_ipv4 => 1,
    # The tests insert documentation and private ranges (192.0.2.0/24, 2001:db8::/32,
    # 10.0.0.0/8), which the writer would otherwise drop silently.
    remove_reserved_networks => 0,
    map_key_type_callback    => sub { $types{ $_[0] } // die "no type for key $_[0]\n" },
);

my $count = 0;
while ( my $line = <> ) {
    $line =~ s/#.*//;
    next if $line =~ /^\s*$/;
    my @words = split ' ', $line;
    die "line $.: expected 'CIDR CC [registered]': $line" unless @words == 2 || @words == 3;
    my ( $cidr, $code, $field ) = @words;
    # An optional third word "registered" stores only registered_country, to test the
    # reader's fallback.
    my $key = ( defined $field && $field eq 'registered' ) ? 'registered_country' : 'country';
    $tree->insert_network( $cidr, { $key => { iso_code => $code } } );
    ++$count;
}

open my $fh, '>:raw', $output or die "cannot write $output: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot close $output: $!\n";
print "wrote $count networks to $output\n";
