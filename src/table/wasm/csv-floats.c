/*
 * The hot loop of predict-batch's CSV reader, compiled to WebAssembly
 * (scripts/build-wasm.sh; the module is embedded in csv-floats-module.ts).
 *
 * parse_rows scans plain rows (byte ranges without quotes, as row-reader.ts
 * hands them over) field by field and writes every float column straight to
 * its place in a float32 batch. It is the same algorithm as scanDecimal in
 * fast-number.ts, value for value: Clinger's fast path (an exact mantissa of
 * at most 2^53 - 1 times or divided by an exact power of ten up to 10^22, one
 * correctly rounded double operation, then rounded to float32). Any field it
 * does not take, and any row with the wrong number of fields, stops the call
 * at that row: the caller parses the row in JavaScript, which has the slow
 * paths and the error messages, and calls again from the next row.
 */
#include <stdint.h>

typedef unsigned char u8;

/* What parse_rows does with a column (kinds[c]); args[c] says where. */
enum { SKIP = 0, FLOAT = 1, KEEP = 2, FLOAT_KEEP = 3 };

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t POW10_INT[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

#define MAX_EXACT 9007199254740991ULL /* 2^53 - 1 */

/*
 * The decimal at p (the field ends at the next comma or at end). Returns the
 * byte after it (a comma or end) and the value in *out, or 0 when the field
 * is not a plain decimal the fast path takes.
 */
static const u8 *scan_decimal_loop(const u8 *p, const u8 *end, double *out) {
  int negative = 0;
  if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  uint64_t m = 0;
  const u8 *digits_start = p;
  while (p < end) {
    unsigned d = (unsigned)*p - '0';
    if (d > 9) break;
    m = m * 10 + d;
    if (m > MAX_EXACT) return 0;
    p++;
  }
  int digits = (int)(p - digits_start);
  int exponent = 0;
  if (p < end && *p == '.') {
    const u8 *frac = ++p;
    while (p < end) {
      unsigned d = (unsigned)*p - '0';
      if (d > 9) break;
      m = m * 10 + d;
      if (m > MAX_EXACT) return 0;
      p++;
    }
    exponent = (int)(frac - p);
    digits += (int)(p - frac);
  }
  if (digits == 0) return 0;
  if (p < end && (*p | 0x20) == 'e') {
    p++;
    int exp_negative = 0;
    if (p < end && (*p == '-' || *p == '+')) exp_negative = *p++ == '-';
    const u8 *exp_start = p;
    int e = 0;
    while (p < end) {
      unsigned d = (unsigned)*p - '0';
      if (d > 9) break;
      e = e * 10 + (int)d;
      p++;
      if (p - exp_start > 4) return 0;
    }
    if (p == exp_start) return 0;
    exponent += exp_negative ? -e : e;
  }
  if (p < end && *p != ',') return 0;
  double v = (double)m;
  if (m != 0 && exponent != 0) {
    if (exponent > 0 && exponent <= 22) v *= POW10[exponent];
    else if (exponent < 0 && exponent >= -22) v /= POW10[-exponent];
    else return 0;
  }
  *out = negative ? -v : v;
  return p;
}

static inline uint64_t load64(const u8 *p) {
  uint64_t w;
  __builtin_memcpy(&w, p, 8);
  return w;
}

/* How many of the 8 bytes of w (first byte lowest) are digits before the first other byte (8: all). */
static inline int leading_digits(uint64_t w) {
  uint64_t other = ((w + 0x4646464646464646ULL) | (w - 0x3030303030303030ULL)) & 0x8080808080808080ULL;
  return other ? __builtin_ctzll(other) >> 3 : 8;
}

/* The first n (< 8) bytes of w as a decimal integer: SWAR, three multiplications for eight digits. */
static inline uint64_t digits_value(uint64_t w, int n) {
  if (n == 0) return 0;
  w = ((w & 0x0F0F0F0F0F0F0F0FULL) << (8 * (8 - n))); /* the n digits last, zeros (leading) first */
  w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFULL;
  w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFULL;
  return (w * 10000 + (w >> 32)) & 0xFFFFFFFFULL;
}

/*
 * scan_decimal_loop's answer for the common field: an integer part and a
 * fraction of at most 7 digits each, no exponent. Up to 8 bytes are read
 * past a part, so the buffer needs 8 bytes of slack after `end`; bytes at
 * and after `end` never count. Anything else goes to the loop.
 */
static inline const u8 *scan_decimal(const u8 *p, const u8 *end, double *out) {
  const u8 *start = p;
  /* Without a branch: the sign of random data is a coin toss, which the branch predictor cannot learn. */
  int negative = p < end && *p == '-';
  p += negative | (p < end && *p == '+');
  int room = (int)(end - p);
  int a = leading_digits(load64(p));
  if (a == 8) return scan_decimal_loop(start, end, out);
  if (a > room) a = room;
  uint64_t m = digits_value(load64(p), a);
  p += a;
  int b = 0;
  if (p < end && *p == '.') {
    p++;
    room = (int)(end - p);
    b = leading_digits(load64(p));
    if (b == 8) return scan_decimal_loop(start, end, out);
    if (b > room) b = room;
    m = m * POW10_INT[b] + digits_value(load64(p), b);
    p += b;
  }
  if (a + b == 0) return 0;
  if (p < end && *p != ',') return (*p | 0x20) == 'e' ? scan_decimal_loop(start, end, out) : 0;
  double v = (double)m;
  if (b != 0 && m != 0) v /= POW10[b];
  /* The sign bit set without a branch, as for the sign byte. */
  uint64_t bits;
  __builtin_memcpy(&bits, &v, 8);
  bits ^= (uint64_t)negative << 63;
  __builtin_memcpy(out, &bits, 8);
  return p;
}

/*
 * Rows [0, n) of buf (row r is bytes starts[r]..ends[r]) with `width`
 * columns each. For a FLOAT column c, row r's value goes to
 * out[args[c] + r * args[width + c]] (its place in its input's region, and
 * the input's stride); for a KEEP column, the field's byte range to
 * spans[(r * keep_count + args[2 * width + c]) * 2 .. + 1]. FLOAT_KEEP does
 * both. Returns how many rows were done: n, or the row to parse in JS.
 * Reads up to 8 bytes past a row: the buffer needs that much slack.
 */
int parse_rows(const u8 *buf, const int32_t *starts, const int32_t *ends, int n, const u8 *kinds,
               const int32_t *args, int width, float *out, int32_t *spans, int keep_count) {
  const int32_t *strides = args + width;
  const int32_t *slots = args + 2 * width;
  for (int r = 0; r < n; r++) {
    const u8 *p = buf + starts[r];
    const u8 *end = buf + ends[r];
    int32_t *row_spans = spans + r * keep_count * 2;
    for (int c = 0;; c++) {
      const u8 *field = p;
      int kind = kinds[c];
      if (kind & FLOAT) {
        double v;
        p = scan_decimal(p, end, &v);
        if (!p) return r;
        out[args[c] + r * strides[c]] = (float)v;
      } else {
        while (p < end && *p != ',') p++;
      }
      if (kind & KEEP) {
        int32_t *span = row_spans + 2 * slots[c];
        span[0] = (int32_t)(field - buf);
        span[1] = (int32_t)(p - buf);
      }
      if (c == width - 1) {
        if (p != end) return r; /* more fields than the header */
        break;
      }
      if (p == end) return r; /* fewer fields than the header */
      p++;
    }
  }
  return n;
}
