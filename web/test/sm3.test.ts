// SM3 against the examples of GB/T 32905-2016 Appendix A and against sm-crypto-v2.
import './setup';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sm3 as oracle } from 'sm-crypto-v2';
import { sm3 } from '../mobile/src/sm3';
import { bytesToHex, utf8 } from '../mobile/src/sm2_2p';

test('GB/T 32905 A.1: SM3("abc")', () => {
  assert.equal(bytesToHex(sm3(utf8('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
});

test('GB/T 32905 A.2: SM3 of the 512-bit message "abcd" x 16', () => {
  assert.equal(bytesToHex(sm3(utf8('abcd'.repeat(16)))), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test('SM3 of the empty message', () => {
  assert.equal(bytesToHex(sm3(new Uint8Array(0))), '1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b');
});

test('SM3 agrees with sm-crypto-v2 on every length 0..300 and across the parts of a split input', () => {
  for (let len = 0; len <= 300; len++) {
    const m = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
    assert.equal(bytesToHex(sm3(m)), oracle(m), `length ${len}`);
    const cut = len >> 1;
    assert.equal(bytesToHex(sm3(m.subarray(0, cut), m.subarray(cut))), oracle(m), `length ${len} split`);
  }
});
