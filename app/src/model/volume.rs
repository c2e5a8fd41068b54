//! What the volume and snapshot pages and server functions exchange (shared by browser and
//! server).

use serde::{Deserialize, Serialize};

use crate::model::vm::{ImageChoice, RegionView};

/// What one GB of volume storage costs a month, in USD. INFERRED: neither the reference nor
/// any API answer states a volume price (`plan/list` prices plans only, and the dashboard's
/// fee list was not captured), so this is an estimate the pages label as one; the account's
/// bill decides.
pub const VOLUME_USD_PER_GB_MONTH_INFERRED: f64 = 0.05;

/// Largest volume the panel asks for, GB. INFERRED: the service's limit is not documented.
pub const VOLUME_MAX_GB: u32 = 10_000;

/// The estimated monthly cost of `gb` GB of volume storage.
pub fn volume_monthly(gb: u32) -> f64 {
    f64::from(gb) * VOLUME_USD_PER_GB_MONTH_INFERRED
}

/// What the panel makes of a volume's (or snapshot's) status. CONFIRMED words: `creating`,
/// `downloading`, `available`, `in-use` (`volume/info`); the list also says `active` and
/// `pending` (INFERRED: another vocabulary for available and creating). The other
/// transitional words are OpenStack Cinder's (INFERRED: Luna Node runs OpenStack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VolumePhase {
    /// Ready and unattached.
    Available,
    /// Attached to a VM.
    InUse,
    /// On its way somewhere (being made, filled, attached, detached, extended, deleted).
    Changing,
    Error,
    /// A word the panel does not know: settled as far as refreshing goes.
    Unknown,
}

impl VolumePhase {
    /// Classifies a status word, case-insensitively.
    pub fn of(status: &str) -> Self {
        match status.trim().to_ascii_lowercase().as_str() {
            "available" | "active" => VolumePhase::Available,
            "in-use" | "in use" | "attached" => VolumePhase::InUse,
            "creating" | "downloading" | "pending" | "attaching" | "detaching" | "extending"
            | "deleting" | "uploading" | "backing-up" | "restoring-backup" | "retyping"
            | "reserved" | "maintenance" | "saving" | "queued" => VolumePhase::Changing,
            s if s.starts_with("error") => VolumePhase::Error,
            _ => VolumePhase::Unknown,
        }
    }

    /// Whether the page should keep looking for a change.
    pub fn settled(self) -> bool {
        self != VolumePhase::Changing
    }

    /// The badge class (the VM badge's palette).
    pub fn class(self) -> &'static str {
        match self {
            VolumePhase::Available => "ok",
            VolumePhase::InUse => "ok",
            VolumePhase::Changing => "busy",
            VolumePhase::Error => "bad",
            VolumePhase::Unknown => "unknown",
        }
    }
}

/// The VM a volume is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedTo {
    pub vm_id: String,
    /// The VM's hostname when the panel knows it, else its id.
    pub name: String,
    /// Whether the caller may open that VM (a customer's volume may sit on a server their
    /// provider has not given them).
    pub visible: bool,
}

/// One volume as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeRow {
    pub id: String,
    pub name: String,
    pub region: String,
    /// GB; `None` when Luna Node's answer did not say.
    pub size_gb: Option<u32>,
    /// Luna Node's own word.
    pub status: String,
    pub phase: VolumePhase,
    /// `None` when detached, or when the VM could not be read (an attached volume whose VM
    /// is unknown still says `in-use`).
    pub attached: Option<AttachedTo>,
    pub created: String,
}

impl VolumeRow {
    /// The name to show and to type when confirming a delete (the id when it has none).
    pub fn display_name(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// The account's volumes as the caller may see them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumesView {
    pub volumes: Vec<VolumeRow>,
}

/// One volume with what its page offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeDetail {
    pub volume: VolumeRow,
    /// The OpenStack UUID.
    pub identification: String,
    /// VMs in the volume's region the caller may attach it to.
    pub vms: Vec<VmChoice>,
    /// This volume's snapshots the caller may see.
    pub snapshots: Vec<SnapshotRow>,
    /// Regions the caller may replicate a snapshot to.
    pub regions: Vec<RegionView>,
}

/// A VM to pick from a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmChoice {
    pub vm_id: String,
    pub name: String,
    pub region: String,
}

/// One volume snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRow {
    pub id: String,
    pub name: String,
    pub volume_id: String,
    /// The volume's name when the caller may see it (empty otherwise).
    pub volume_name: String,
    pub region: String,
    pub size_gb: Option<u32>,
    pub status: String,
    pub phase: VolumePhase,
    pub created: String,
}

impl SnapshotRow {
    /// Whether it can be used (replicated, or made into a volume).
    pub fn ready(&self) -> bool {
        self.phase == VolumePhase::Available
    }
}

/// The snapshots of every region the caller may use. A region whose list failed is named in
/// `problem`; the others are shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotsView {
    pub snapshots: Vec<SnapshotRow>,
    pub problem: Option<String>,
    /// The regions the caller may use (where a snapshot can be replicated to).
    pub regions: Vec<RegionView>,
}

/// How much of their volume quota a customer uses (`None` limits are unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeQuotaView {
    pub volumes: u32,
    pub volumes_limit: Option<u32>,
    pub gb: u64,
    pub gb_limit: Option<u64>,
}

/// What the create form offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeCreateOptions {
    pub regions: Vec<RegionView>,
    /// Images a volume can be filled from.
    pub images: Vec<ImageChoice>,
    /// Ready snapshots a volume can be made from.
    pub snapshots: Vec<SnapshotRow>,
    /// Customers only.
    pub quota: Option<VolumeQuotaView>,
}

/// The create form's answers (missing fields are empty: the server says what is needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewVolume {
    pub name: String,
    pub region: String,
    /// GB, as typed.
    pub size: String,
    /// `""` (empty), `image:<id>` or `snapshot:<id>`.
    pub source: String,
}

/// What a new volume is filled from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSource {
    Empty,
    Image(String),
    Snapshot(String),
}

impl VolumeSource {
    /// Reads the form's `source`; `None` when it is neither empty nor a known form.
    pub fn parse(source: &str) -> Option<Self> {
        match source.trim().split_once(':') {
            None if source.trim().is_empty() => Some(VolumeSource::Empty),
            Some(("image", id)) if !id.trim().is_empty() => {
                Some(VolumeSource::Image(id.trim().to_owned()))
            }
            Some(("snapshot", id)) if !id.trim().is_empty() => {
                Some(VolumeSource::Snapshot(id.trim().to_owned()))
            }
            _ => None,
        }
    }
}

/// Checks a volume or snapshot name (1 to 64 characters, one line).
pub fn check_volume_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err("Give it a name of 1 to 64 characters.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The name must be one line of text.".into());
    }
    Ok(())
}

/// Reads a size in GB as typed (1 to [`VOLUME_MAX_GB`]).
pub fn parse_size(size: &str) -> Result<u32, String> {
    match size.trim().parse::<u32>() {
        Ok(n) if (1..=VOLUME_MAX_GB).contains(&n) => Ok(n),
        _ => Err(format!(
            "Enter a whole number of GB from 1 to {VOLUME_MAX_GB}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_both_vocabularies() {
        for (word, phase) in [
            ("available", VolumePhase::Available),
            ("ACTIVE", VolumePhase::Available),
            ("in-use", VolumePhase::InUse),
            ("creating", VolumePhase::Changing),
            ("pending", VolumePhase::Changing),
            ("downloading", VolumePhase::Changing),
            ("detaching", VolumePhase::Changing),
            ("error_deleting", VolumePhase::Error),
            ("", VolumePhase::Unknown),
            ("weird", VolumePhase::Unknown),
        ] {
            assert_eq!(VolumePhase::of(word), phase, "{word:?}");
        }
        assert!(!VolumePhase::Changing.settled());
        assert!(VolumePhase::Unknown.settled());
    }

    #[test]
    fn sources_sizes_and_names_are_read() {
        assert_eq!(VolumeSource::parse(""), Some(VolumeSource::Empty));
        assert_eq!(
            VolumeSource::parse("image:12"),
            Some(VolumeSource::Image("12".into()))
        );
        assert_eq!(
            VolumeSource::parse("snapshot:7"),
            Some(VolumeSource::Snapshot("7".into()))
        );
        assert_eq!(VolumeSource::parse("image:"), None);
        assert_eq!(VolumeSource::parse("volume:3"), None);
        assert_eq!(parse_size(" 20 "), Ok(20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("2.5").is_err());
        assert!(parse_size("10001").is_err());
        assert!(check_volume_name("data").is_ok());
        assert!(check_volume_name(" ").is_err());
        assert!(check_volume_name(&"x".repeat(65)).is_err());
        assert!(check_volume_name("a\nb").is_err());
        assert!((volume_monthly(20) - 1.0).abs() < 1e-9);
    }
}
