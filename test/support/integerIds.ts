// IDs that are not canonical integers, with the reason each is refused for an integer column.
export const nonCanonicalIntegers: [string, RegExp][] = [
  ["007", /leading zero/],
  ["+8", /'\+' sign/],
  ["9.0", /decimal point or an exponent/],
  ["1e3", /decimal point or an exponent/],
  ["-0", /negative zero/],
  [" 8", /spaces/],
  ["0x1F", /not an integer/],
  ["12a", /not an integer/],
];
