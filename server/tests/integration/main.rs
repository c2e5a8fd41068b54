//! Integration tests: the real router over real HTTP, on SQLite and on PostgreSQL.

mod harness;

mod accounts;
mod authz;
mod binary;
mod budget;
mod checked;
mod cluster;
mod demo;
mod dns;
mod gates;
mod hardening;
mod headers;
mod images;
mod live_kinds;
mod mail;
mod metrics;
mod monitor;
mod networking;
mod paging;
mod refdata;
mod scripts;
mod search;
mod second_factor;
mod securitygroups;
mod sessions;
mod tenancy;
mod upstream;
mod vault;
mod vm_dialect;
mod vms;
mod volumes;
