//! One file per route.

pub mod account;
pub mod admin;
pub mod api_key;
pub mod audit;
pub mod catalog;
pub mod customers;
pub mod floating_ips;
pub mod format;
pub mod image_detail;
pub mod images;
pub mod load_balancers;
pub mod networks;
pub mod not_found;
pub mod overview;
pub mod security_group_detail;
pub mod security_groups;
pub mod sign_in;
pub mod sign_up;
pub mod ssh_keys;
pub mod vm_create;
pub mod vm_detail;
pub mod vm_security_groups;
pub mod vm_volumes;
pub mod vms;
pub mod volume_detail;
pub mod volumes;
