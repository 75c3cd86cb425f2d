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

/// Whether eight bytes are all ASCII digits: each is 0x3_ with a low nibble that adding 6 does
/// not carry (0x30..=0x39).
fn all_digits(chunk: u64) -> bool {
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    chunk & HIGH == THREES && (chunk + 0x0606_0606_0606_0606) & HIGH == THREES
}

/// Eight digit values (0..=9, the first in the lowest byte) as a number, in three
/// multiplications rather than eight dependent steps.
fn eight_digits(digits: u64) -> u64 {
    let chunk = ((digits & 0x000f_000f_000f_000f) * 10) + ((digits >> 8) & 0x000f_000f_000f_000f);
    let chunk = ((chunk & 0x0000_00ff_0000_00ff) * 100) + ((chunk >> 16) & 0x0000_00ff_0000_00ff);
    ((chunk & 0x0000_0000_0000_ffff) * 10_000) + ((chunk >> 32) & 0x0000_0000_0000_ffff)
}

/// The weighted sum of eight digit values with weights `w`: the even and the odd digits spread
/// into 16-bit lanes, each multiplied by the weights packed in reverse, so the top lane gathers
/// the four products (each lane stays under 2^16: no carries between lanes).
fn eight_weighted(digits: u64, w: &[u32]) -> u32 {
    const LANES: u64 = 0x00ff_00ff_00ff_00ff;
    let pack = |a: u32, b: u32, c: u32, d: u32| {
        u64::from(d) | (u64::from(c) << 16) | (u64::from(b) << 32) | (u64::from(a) << 48)
    };
    let even = (digits & LANES).wrapping_mul(pack(w[0], w[2], w[4], w[6])) >> 48;
    let odd = ((digits >> 8) & LANES).wrapping_mul(pack(w[1], w[3], w[5], w[7])) >> 48;
    (even + odd) as u32
}

/// The key of 18 normalised characters (17 digits and a check digit or `X`).
fn key_of_digits(digits: &[u8; 18]) -> Result<u64, KeyError> {
    let bytes = |from: usize| {
        u64::from_le_bytes([
            digits[from],
            digits[from + 1],
            digits[from + 2],
            digits[from + 3],
            digits[from + 4],
            digits[from + 5],
            digits[from + 6],
            digits[from + 7],
        ])
    };
    let (first, second) = (bytes(0), bytes(8));
    if !all_digits(first) || !all_digits(second) || !digits[16].is_ascii_digit() {
        return Err(KeyError::NotDigit);
    }
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let (first, second) = (first - ZEROS, second - ZEROS);
    let last = u32::from(digits[16] - b'0');
    let sum = eight_weighted(first, &WEIGHTS[..8])
        + eight_weighted(second, &WEIGHTS[8..16])
        + last * WEIGHTS[16];
    let value = eight_digits(first) * 1_000_000_000 + eight_digits(second) * 10 + u64::from(last);
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
        let values = |text: &[u8; 8]| u64::from_le_bytes(*text) - 0x3030_3030_3030_3030;
        assert_eq!(eight_digits(values(b"12345678")), 12_345_678);
        assert_eq!(eight_digits(values(b"00000009")), 9);
        assert_eq!(eight_digits(values(b"99999999")), 99_999_999);
        assert!(all_digits(u64::from_le_bytes(*b"01234567")));
        for bad in [b"0123456/", b"0123456:", b"012345 7", b"\xff1234567"] {
            assert!(!all_digits(u64::from_le_bytes(*bad)), "{bad:?}");
        }
    }

    /// The check digit and key the plain way, digit by digit, for comparison.
    fn reference(text: &[u8]) -> Option<u64> {
        let sum: u32 = text[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        let expected = CHECK[(sum % 11) as usize];
        (text[17] == expected).then(|| {
            let value = text[..17]
                .iter()
                .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            value * 11
                + if expected == b'X' {
                    10
                } else {
                    u64::from(expected - b'0')
                }
        })
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
        fn keys_agree_with_the_plain_computation(digits in "[0-9]{17}", check in "[0-9X]") {
            let text = format!("{digits}{check}");
            prop_assert_eq!(pack(text.as_bytes()).ok(), reference(text.as_bytes()));
        }

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
