//! Pure domain types of minsheng. No IO: everything here is values and rules.

pub mod authz;
pub mod calendar;
pub mod id_number;
pub mod region;
pub mod relation;
pub mod scrub;
pub mod text;
pub mod time_util;
pub mod unit;

pub use authz::{Action, Role, role_permits, roles_permit};
pub use calendar::{DayKind, Deadline, WorkdayCalendar};
pub use id_number::{IdNumber, IdNumberError, Sex, mask_id_number};
pub use region::{RegionCode, RegionCodeError, RegionLevel};
pub use unit::UnitKind;
