/*
 * predict-batch's float32 output text, compiled to WebAssembly with
 * csv-floats.c (scripts/build-wasm.sh). format_rows writes batch rows of
 * float32 values as formatFloat32 (src/util/format-number.ts) prints them,
 * byte for byte: numpy's shortest round-trip digits, JavaScript's notation.
 * The search is shortestFloat32's, step for step: for p significant digits
 * n = round-half-even(|f| * 10^(p-1-e10)), one correctly rounded operation
 * while the power of ten is exact, kept when it reads back as f. A value
 * outside that range (|f| >= 1e22 or < 1e-14) marks its row for the
 * JavaScript writer, which has the slow path.
 */
#include <stdint.h>

typedef unsigned char u8;

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint32_t POW10_U32[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

/* 1 / 10^k, each one correctly rounded division as pow10 in format-number.ts makes it (folded at compile time). */
static const double INV_POW10[17] = {1 / 1e0,  1 / 1e1,  1 / 1e2,  1 / 1e3,  1 / 1e4,  1 / 1e5,
                                     1 / 1e6,  1 / 1e7,  1 / 1e8,  1 / 1e9,  1 / 1e10, 1 / 1e11,
                                     1 / 1e12, 1 / 1e13, 1 / 1e14, 1 / 1e15, 1 / 1e16};

/* pow10 of format-number.ts: 10^e, or 1 / 10^-e. e is within -16..22 here. */
static inline double pow10(int e) { return e >= 0 ? POW10[e] : INV_POW10[-e]; }

/* JavaScript's Math.round for x >= 0: the nearest integer, halves up. */
static inline double js_round(double x) {
  double r = __builtin_ceil(x);
  return r - 0.5 > x ? r - 1.0 : r;
}

/* roundHalfEvenPositive of format-number.ts. */
static inline double round_half_even(double x) {
  double floor = __builtin_floor(x);
  double r = js_round(x);
  return x - floor == 0.5 && r - 2.0 * __builtin_floor(r / 2.0) != 0.0 ? r - 1.0 : r;
}

static inline int reads_back(double x, double a) { return (double)(float)x == a; }

/* candidate of format-number.ts: round(a * 10^s) when it reads back as a, else -1. */
static double candidate(double a, int s) {
  if (s >= 0) {
    double scale = POW10[s];
    double x = a * scale;
    double n = round_half_even(x);
    if (reads_back(n / scale, a)) return n;
    /* On a tie the even neighbour may not read back while the odd one does. */
    double other = x - __builtin_floor(x) == 0.5 ? 2.0 * x - n : -1.0;
    return other >= 0.0 && reads_back(other / scale, a) ? other : -1.0;
  }
  double scale = POW10[-s];
  double n = round_half_even(a / scale);
  return reads_back(n * scale, a) ? n : -1.0;
}

/*
 * The shortest digits of a finite non-zero float32 magnitude a as an integer
 * (*exponent: where the point goes), or -1 for the slow path.
 */
static double shortest(double a, int *exponent) {
  /* floor(log10(a)) from the binary exponent, then settled against the powers of ten, which is
     what the JavaScript's Math.log10 and its one correction step arrive at. */
  uint64_t bits;
  __builtin_memcpy(&bits, &a, 8);
  int e2 = (int)((bits >> 52) & 0x7ff) - 1023;
  int e10 = (int)__builtin_floor(e2 * 0.30102999566398120);
  if (e10 > 22 || e10 < -16) return -1.0;
  while (e10 < 22 && a >= pow10(e10 + 1)) e10++;
  while (e10 > -16 && a < pow10(e10)) e10--;
  if (e10 > 21 || e10 < -14) return -1.0;
  int p = 7;
  double n = candidate(a, 6 - e10);
  if (n >= 0.0) {
    for (int q = 6; q >= 1; q--) {
      double shorter = candidate(a, q - 1 - e10);
      if (shorter < 0.0) break;
      n = shorter;
      p = q;
    }
  } else {
    for (p = 8; p <= 9; p++) {
      n = candidate(a, p - 1 - e10);
      if (n >= 0.0) break;
    }
    if (n < 0.0) return -1.0;
  }
  *exponent = e10 - p + 1;
  return n;
}

static u8 *write_text(u8 *at, const char *text) {
  while (*text) *at++ = (u8)*text++;
  return at;
}

/* m's decimal digits (m < 10^9), length of them, at `at`. */
static void write_digits(u8 *at, uint32_t m, int length) {
  for (u8 *d = at + length - 1; d >= at; d--) {
    *d = (u8)('0' + m % 10);
    m /= 10;
  }
}

/* formatFloat32(value) at `at`; returns the end, or 0 when only the JavaScript writer can say it. */
static u8 *write_float32(u8 *at, float value) {
  if (value != value) return write_text(at, "NaN");
  if (value == 0.0f) return write_text(at, __builtin_signbit(value) ? "-0" : "0");
  double a = value < 0 ? -(double)value : (double)value;
  if (a == __builtin_inf()) return write_text(at, value < 0 ? "-inf" : "inf");
  int k;
  double n = shortest(a, &k);
  if (n < 0.0) return 0;
  uint32_t m = (uint32_t)n; /* at most 9 digits */
  while (m % 10 == 0) {
    m /= 10;
    k++;
  }
  int length = 1;
  for (uint32_t x = m; x >= 10; x /= 10) length++;
  int point = length + k; /* where the point goes, from the first digit */
  if (value < 0) *at++ = '-';
  if (point > 21 || point <= -6) {
    /* JavaScript's exponent notation: d.ddde+x / d.ddde-x. */
    u8 digits[9];
    write_digits(digits, m, length);
    *at++ = digits[0];
    if (length > 1) {
      *at++ = '.';
      for (int i = 1; i < length; i++) *at++ = digits[i];
    }
    int e = point - 1;
    *at++ = 'e';
    *at++ = e > 0 ? '+' : '-';
    if (e < 0) e = -e;
    u8 e_digits[3];
    int e_length = e >= 100 ? 3 : e >= 10 ? 2 : 1;
    write_digits(e_digits, (uint32_t)e, e_length);
    for (int i = 0; i < e_length; i++) *at++ = e_digits[i];
    return at;
  }
  if (point <= 0) {
    *at++ = '0';
    *at++ = '.';
    for (int z = point; z < 0; z++) *at++ = '0';
    write_digits(at, m, length);
    return at + length;
  }
  if (point >= length) {
    write_digits(at, m, length);
    at += length;
    for (int z = length; z < point; z++) *at++ = '0';
    return at;
  }
  write_digits(at, m / POW10_U32[length - point], point);
  at += point;
  *at++ = '.';
  write_digits(at, m % POW10_U32[length - point], length - point);
  return at + (length - point);
}

/*
 * Rows [0, rows) of `count` outputs: output o has widths[o] float32 values
 * per row, from byte address data[o]. Row r is written to dst as its values
 * joined by commas and a newline, and ends[r] is the byte after it (from
 * dst); a row with a value only the JavaScript writer can say gets -1 and no
 * bytes. Needs 24 bytes per value and one per row of room. Returns the bytes
 * written.
 */
int format_rows(int rows, int count, const int32_t *data, const int32_t *widths, u8 *dst, int32_t *ends) {
  u8 *at = dst;
  for (int r = 0; r < rows; r++) {
    u8 *row = at;
    int ok = 1;
    for (int o = 0; o < count && ok; o++) {
      const float *values = (const float *)(uintptr_t)data[o] + r * widths[o];
      for (int j = 0; j < widths[o]; j++) {
        if (at != row) *at++ = ',';
        u8 *end = write_float32(at, values[j]);
        if (!end) {
          ok = 0;
          break;
        }
        at = end;
      }
    }
    if (!ok) {
      at = row;
      ends[r] = -1;
      continue;
    }
    *at++ = '\n';
    ends[r] = (int32_t)(at - dst);
  }
  return (int32_t)(at - dst);
}
