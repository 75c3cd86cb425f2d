//! ID numbers (GB 11643) as 64-bit keys: the 17 digits and the check character packed into one
//! integer, read straight from the bytes of a file without allocating. Full-width digits and
//! `Ｘ`, a lower-case `x` and spaces are accepted, as departments send them.

/// Why a value is not an ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Length,
    NotDigit,
    CheckDigit,
}

impl KeyError {
    pub fn message(self) -> &'static str {
        match self {
            KeyError::Length => "an ID number has 18 characters",
            KeyError::NotDigit => "an ID number has 17 digits and a check digit or X",
            KeyError::CheckDigit => "the ID number's check digit is wrong",
        }
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

/// The key of an ID number, or why it is not one.
pub fn pack(raw: &[u8]) -> Result<u64, KeyError> {
    // The usual case, 18 plain ASCII characters, skips the normalising pass.
    if let Ok(plain) = <&[u8; 18]>::try_from(raw)
        && plain
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'X' || *b == b'x')
    {
        let mut digits = *plain;
        if digits[17] == b'x' {
            digits[17] = b'X';
        }
        return key_of_digits(&digits);
    }
    let mut digits = [0u8; 18];
    let mut n = 0usize;
    let mut i = 0usize;
    while i < raw.len() {
        let b = raw[i];
        let (c, width) = match b {
            b' ' | b'\t' | b'-' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' | b'X' => (b, 1),
            b'x' => (b'X', 1),
            // Full-width: ０-９ are EF BC 90..99, Ｘ is EF BC B8, ｘ is EF BD 98.
            0xEF if i + 2 < raw.len()
                && raw[i + 1] == 0xBC
                && (0x90..=0x99).contains(&raw[i + 2]) =>
            {
                (b'0' + raw[i + 2] - 0x90, 3)
            }
            0xEF if i + 2 < raw.len()
                && ((raw[i + 1] == 0xBC && raw[i + 2] == 0xB8)
                    || (raw[i + 1] == 0xBD && raw[i + 2] == 0x98)) =>
            {
                (b'X', 3)
            }
            _ => return Err(KeyError::NotDigit),
        };
        if n == 18 {
            return Err(KeyError::Length);
        }
        digits[n] = c;
        n += 1;
        i += width;
    }
    if n != 18 {
        return Err(KeyError::Length);
    }
    key_of_digits(&digits)
}

/// Eight ASCII digits (the first in the lowest byte) as a number, in three multiplications
/// rather than eight dependent steps.
fn eight_digits(bytes: [u8; 8]) -> u64 {
    let chunk = u64::from_le_bytes(bytes) - 0x3030_3030_3030_3030;
    let chunk = ((chunk & 0x000f_000f_000f_000f) * 10) + ((chunk >> 8) & 0x000f_000f_000f_000f);
    let chunk = ((chunk & 0x0000_00ff_0000_00ff) * 100) + ((chunk >> 16) & 0x0000_00ff_0000_00ff);
    ((chunk & 0x0000_0000_0000_ffff) * 10_000) + ((chunk >> 32) & 0x0000_0000_0000_ffff)
}

/// The key of 18 normalised characters (17 digits and a check digit or `X`).
fn key_of_digits(digits: &[u8; 18]) -> Result<u64, KeyError> {
    if !digits[..17].iter().all(u8::is_ascii_digit) {
        return Err(KeyError::NotDigit);
    }
    let sum: u32 = digits[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let first = [
        digits[0], digits[1], digits[2], digits[3], digits[4], digits[5], digits[6], digits[7],
    ];
    let second = [
        digits[8], digits[9], digits[10], digits[11], digits[12], digits[13], digits[14],
        digits[15],
    ];
    let value = eight_digits(first) * 1_000_000_000
        + eight_digits(second) * 10
        + u64::from(digits[16] - b'0');
    let expected = CHECK[(sum % 11) as usize];
    if digits[17] != expected {
        return Err(if digits[17].is_ascii_digit() || digits[17] == b'X' {
            KeyError::CheckDigit
        } else {
            KeyError::NotDigit
        });
    }
    let check = if expected == b'X' {
        10
    } else {
        u64::from(expected - b'0')
    };
    Ok(value * 11 + check)
}

/// The 18-character ID number of a key.
pub fn unpack(key: u64) -> String {
    let check = key % 11;
    let mut digits = key / 11;
    let mut out = vec![b'0'; 18];
    for i in (0..17).rev() {
        out[i] = b'0' + (digits % 10) as u8;
        digits /= 10;
    }
    out[17] = if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    };
    String::from_utf8(out).unwrap_or_default()
}

/// The birth date in the key, as (year, month, day).
pub fn birth(key: u64) -> (i32, u8, u8) {
    let digits = key / 11; // 17 digits: 6 region, 8 birth, 3 sequence
    let birth = (digits / 1000) % 100_000_000;
    (
        (birth / 10_000) as i32,
        ((birth / 100) % 100) as u8,
        (birth % 100) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eight_digits_read_as_a_number() {
        assert_eq!(eight_digits(*b"12345678"), 12_345_678);
        assert_eq!(eight_digits(*b"00000009"), 9);
        assert_eq!(eight_digits(*b"99999999"), 99_999_999);
    }

    #[test]
    fn normalised_forms_give_one_key() {
        let key = pack(b"11010519491231002X").expect("valid");
        assert_eq!(unpack(key), "11010519491231002X");
        assert_eq!(pack(b"11010519491231002x"), Ok(key));
        assert_eq!(pack(" 110105 19491231 002X ".as_bytes()), Ok(key));
        assert_eq!(
            pack("１１０１０５１９４９１２３１００２Ｘ".as_bytes()),
            Ok(key)
        );
        assert_eq!(birth(key), (1949, 12, 31));
        assert_eq!(pack(b"110105194912310021"), Err(KeyError::CheckDigit));
        assert_eq!(pack(b"1101051949123100"), Err(KeyError::Length));
        assert_eq!(pack(b"11010519491231002Y"), Err(KeyError::NotDigit));
    }

    proptest! {
        #[test]
        fn pack_never_panics_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(key) = pack(&bytes) {
                prop_assert_eq!(pack(unpack(key).as_bytes()), Ok(key));
            }
        }
    }
}

/// Keyed hashing of ID numbers (HMAC-SHA256), so a department can send a feed whose ID column
/// holds hashes instead of ID numbers: both sides hash with the shared key; only the first 64
/// bits are compared (collisions are negligible at a city's scale).
#[derive(Clone)]
pub struct Hasher {
    key: Vec<u8>,
}

impl Hasher {
    pub fn new(key: &[u8]) -> Hasher {
        Hasher { key: key.to_vec() }
    }

    /// The full hash of a normalised ID number, as the lower-case hex a feed carries.
    pub fn hex(&self, packed: u64) -> String {
        self.digest(packed)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The 64-bit match key of a packed ID number.
    pub fn key(&self, packed: u64) -> u64 {
        let d = self.digest(packed);
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    fn digest(&self, packed: u64) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        match <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(unpack(packed).as_bytes());
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0; 32],
        }
    }
}

/// The match key in a hashed feed's cell: the first 16 hex digits of the HMAC.
pub fn hashed_key(cell: &[u8]) -> Result<u64, KeyError> {
    let text = cell.trim_ascii();
    if text.len() < 16 {
        return Err(KeyError::Length);
    }
    let mut key = 0u64;
    for b in &text[..16] {
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(KeyError::NotDigit),
        };
        key = (key << 4) | u64::from(v);
    }
    Ok(key)
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    #[test]
    fn a_hashed_feed_matches_the_same_person() {
        let hasher = Hasher::new(b"shared secret of the district and the department");
        let packed = pack(b"11010519491231002X").expect("valid");
        let hex = hasher.hex(packed);
        assert_eq!(hex.len(), 64);
        assert_eq!(hashed_key(hex.as_bytes()), Ok(hasher.key(packed)));
        assert_ne!(Hasher::new(b"another key").key(packed), hasher.key(packed));
        assert_eq!(hashed_key(b"zz"), Err(KeyError::Length));
    }
}
