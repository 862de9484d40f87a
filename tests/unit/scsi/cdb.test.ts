import { describe, expect, it } from 'vitest'
import {
  inquiryCdb,
  logSenseCdb,
  modeSelect10Cdb,
  modeSelect6Cdb,
  modeSense10Cdb,
  modeSense6Cdb,
  preventAllowMediumRemovalCdb,
  readAttributeCdb,
  reportLunsCdb,
  reportSupportedOpcodesCdb,
  requestSenseCdb,
  securityProtocolInCdb,
  securityProtocolOutCdb,
  testUnitReadyCdb,
  vpdInquiryCdb,
  writeAttributeCdb
} from '../../../main/core/devices/scsi/spc-cdb'
import {
  eraseCdb,
  formatMediumCdb,
  loadUnloadCdb,
  locate10Cdb,
  locate16Cdb,
  readBlockCdb,
  readBlockLimitsCdb,
  readPositionCdb,
  reportDensitySupportCdb,
  rewindCdb,
  space16Cdb,
  spaceCdb,
  writeBlockCdb,
  writeFilemarksCdb
} from '../../../main/core/devices/scsi/ssc-cdb'
import {
  ElementType,
  elementAddressAssignmentCdb,
  initializeElementStatusCdb,
  moveMediumCdb,
  readElementStatusCdb
} from '../../../main/core/devices/scsi/smc-cdb'
import { commandName, defaultTimeoutMs } from '../../../main/core/devices/scsi/commands'
import { hexOf } from './hex'

// Expected bytes are written out from the CDB layouts (scsi.md §1.2, §3.1); where PBS sends the
// same command, its bytes (pbs-tape.md §8.2, pbs-tape/src/sg_tape*.rs) are the expectation.
describe('SPC CDBs', () => {
  it('TEST UNIT READY is six zero bytes (PBS test_unit_ready)', () => {
    expect(hexOf(testUnitReadyCdb())).toBe('000000000000')
  })

  it('REQUEST SENSE asks for 252 bytes, fixed format by default (PBS scsi_request_sense)', () => {
    expect(hexOf(requestSenseCdb())).toBe('0300' + '0000' + 'fc' + '00')
    // DESC bit (byte 1 bit 0) for descriptor-format sense
    expect(hexOf(requestSenseCdb(96, true))).toBe('030100006000')
  })

  it('INQUIRY carries a 16-bit allocation length in bytes 3-4; EVPD + page for VPD', () => {
    expect(hexOf(inquiryCdb(36))).toBe('120000002400') // PBS: 12 00 00 00 <len> 00
    expect(hexOf(vpdInquiryCdb(0x80))).toBe('120180' + '00ff' + '00')
    expect(hexOf(vpdInquiryCdb(0x83, 0x400))).toBe('120183' + '0400' + '00')
    expect(hexOf(vpdInquiryCdb(0x00, 64))).toBe('120100004000')
  })

  it('REPORT LUNS: 32-bit allocation length at bytes 6-9', () => {
    expect(hexOf(reportLunsCdb(4096))).toBe(
      'a0' + '00' + '00' + '000000' + '00001000' + '00' + '00'
    )
  })

  it('MODE SENSE(6)/(10): DBD bit 3, PC in bits 7:6 of byte 2, subpage in byte 3', () => {
    // PBS changer: 1A 08 1D 00 FF 00
    expect(hexOf(modeSense6Cdb({ page: 0x1d, dbd: true, allocationLength: 255 }))).toBe(
      '1a081d00ff00'
    )
    expect(hexOf(elementAddressAssignmentCdb())).toBe('1a081d00ff00')
    // changeable values (PC=01) of page 0x0F
    expect(hexOf(modeSense6Cdb({ page: 0x0f, pageControl: 'changeable' }))).toBe('1a004f00ff00')
    // PBS: 5A <DBD> <page> <sub> 00 00 00 <len BE16> 00
    expect(hexOf(modeSense10Cdb({ page: 0x10, subpage: 0x01, allocationLength: 4096 }))).toBe(
      '5a0010010000' + '00' + '1000' + '00'
    )
    expect(
      hexOf(
        modeSense10Cdb({
          page: 0x3f,
          subpage: 0xff,
          pageControl: 'default',
          dbd: true,
          allocationLength: 0xffff
        })
      )
    ).toBe('5a08bfff000000ffff00')
  })

  it('MODE SELECT(6)/(10) always set PF (byte 1 bit 4)', () => {
    expect(hexOf(modeSelect6Cdb(28))).toBe('151000001c00')
    expect(hexOf(modeSelect6Cdb(12, true))).toBe('151100000c00')
    expect(hexOf(modeSelect10Cdb(0x124))).toBe('55100000000000012400')
  })

  it('LOG SENSE with cumulative values (PC=01 => 0x40|page), as PBS reads pages 0x12/0x17/0x11', () => {
    // PBS volume statistics: 4D 00 57 00 00 00 00 20 00 00
    expect(hexOf(logSenseCdb({ page: 0x17, allocationLength: 8192 }))).toBe('4d005700000000200000')
    // PBS TapeAlert response: 4D 00 52 00 00 00 00 02 00 00
    expect(hexOf(logSenseCdb({ page: 0x12, allocationLength: 512 }))).toBe('4d005200000000020000')
    expect(
      hexOf(
        logSenseCdb({
          page: 0x2e,
          pageControl: 'threshold',
          parameterPointer: 5,
          allocationLength: 324
        })
      )
    ).toBe('4d002e00000005014400')
  })

  it('READ ATTRIBUTE: service action, volume, partition, first id, 32-bit allocation, CACHE', () => {
    // PBS read_tape_mam: 8C 00 00 00 00 00 00 00 | 00 00 | 00 00 80 00 | 00 00
    expect(hexOf(readAttributeCdb())).toBe('8c00000000000000' + '0000' + '00008000' + '0000')
    expect(
      hexOf(
        readAttributeCdb({
          action: 'supported',
          firstAttribute: 0x0400,
          allocationLength: 1024,
          partition: 1,
          cache: true
        })
      )
    ).toBe('8c05000000000001' + '0400' + '00000400' + '0100')
  })

  it('WRITE ATTRIBUTE: WTC=1 and the parameter list length at bytes 10-13 (PBS write_mam_attribute)', () => {
    expect(hexOf(writeAttributeCdb(17))).toBe('8d01000000000000' + '0000' + '00000011' + '0000')
    expect(hexOf(writeAttributeCdb(17, { writeThrough: false }))).toBe(
      '8d00000000000000000000000011' + '0000'
    )
  })

  it('SECURITY PROTOCOL IN/OUT for tape data encryption (PBS encryption.rs)', () => {
    // caps: A2 20 00 10 00 00 <alloc 8196 = 0x2004> 00 00
    expect(hexOf(securityProtocolInCdb(0x20, 0x0010))).toBe('a22000100000' + '00002004' + '0000')
    expect(hexOf(securityProtocolInCdb(0x20, 0x0020))).toBe('a22000200000000020040000')
    // supported protocols: protocol 0, page 0
    expect(hexOf(securityProtocolInCdb(0x00, 0x0000, 256))).toBe('a20000000000000001000000')
    // SDE with a 32-byte key: page of 20 + 32 = 52 bytes
    expect(hexOf(securityProtocolOutCdb(0x20, 0x0010, 52))).toBe(
      'b52000100000' + '00000034' + '0000'
    )
  })

  it('PREVENT ALLOW MEDIUM REMOVAL: byte 4 = 1 prevents, 0 allows (PBS set_medium_removal)', () => {
    expect(hexOf(preventAllowMediumRemovalCdb(true))).toBe('1e0000000100')
    expect(hexOf(preventAllowMediumRemovalCdb(false))).toBe('1e0000000000')
  })

  it('REPORT SUPPORTED OPERATION CODES lists all commands (A3/0C)', () => {
    expect(hexOf(reportSupportedOpcodesCdb(8192))).toBe('a30c00000000000020000000')
  })

  it('refuses values that do not fit their field', () => {
    expect(() => requestSenseCdb(256)).toThrow(/allocation length 256/)
    expect(() => modeSense6Cdb({ page: 0x40 })).toThrow(/mode page/)
    expect(() => vpdInquiryCdb(-1)).toThrow(/VPD page/)
  })
})

describe('SSC CDBs', () => {
  it('READ(6): SILI bit 1, FIXED bit 0, 24-bit length', () => {
    // PBS: 08 02 <len 24-bit BE> 00 with 256 KiB
    expect(hexOf(readBlockCdb(256 * 1024, { sili: true }))).toBe('080204000000')
    expect(hexOf(readBlockCdb(200000))).toBe('080003' + '0d40' + '00')
    expect(hexOf(readBlockCdb(5, { fixed: true }))).toBe('080100000500')
    expect(() => readBlockCdb(5, { fixed: true, sili: true })).toThrow(/SILI with fixed/)
    expect(() => readBlockCdb(0x1000000)).toThrow(/transfer length/)
  })

  it('WRITE(6): one variable block of exactly the transferred size', () => {
    expect(hexOf(writeBlockCdb(0x40000))).toBe('0a0004000000')
    expect(hexOf(writeBlockCdb(0xffffff))).toBe('0a00ffffff00')
    expect(hexOf(writeBlockCdb(2, { fixed: true }))).toBe('0a0100000200')
  })

  it('WRITE FILEMARKS(6): IMMED bit 0; count 0 flushes (PBS sync)', () => {
    expect(hexOf(writeFilemarksCdb(0))).toBe('100000000000')
    expect(hexOf(writeFilemarksCdb(1, { immediate: true }))).toBe('100100000100')
    expect(hexOf(writeFilemarksCdb(0x012345))).toBe('100001234500')
  })

  it('SPACE(6): code in byte 1, signed 24-bit count (-1 = FF FF FF)', () => {
    expect(hexOf(spaceCdb('filemarks', 1))).toBe('110100000100') // PBS SPACE_ONE_FILEMARK
    expect(hexOf(spaceCdb('blocks', -1))).toBe('1100ffffff00')
    expect(hexOf(spaceCdb('filemarks', -2))).toBe('1101fffffe00')
    expect(hexOf(spaceCdb('end-of-data'))).toBe('110300000000')
    expect(hexOf(spaceCdb('sequential-filemarks', 0x7fffff))).toBe('11027fffff00')
    expect(hexOf(spaceCdb('blocks', -0x800000))).toBe('110080000000')
    expect(() => spaceCdb('blocks', 0x800000)).toThrow(/SPACE\(6\) count/)
  })

  it('SPACE(16): signed 64-bit count at bytes 4-11 (PBS: 91 <code> 00 00 <i64> 00 00 00 00)', () => {
    expect(hexOf(space16Cdb('filemarks', 3))).toBe(
      '9101' + '0000' + '0000000000000003' + '00000000'
    )
    expect(hexOf(space16Cdb('blocks', -2))).toBe('9100' + '0000' + 'fffffffffffffffe' + '00000000')
    expect(hexOf(space16Cdb('blocks', 0x123456789an))).toBe(
      '91000000' + '000000123456789a' + '00000000'
    )
  })

  it('LOCATE(10): BT/CP/IMMED flags, block id at 3-6, partition at 8', () => {
    expect(hexOf(locate10Cdb(0x01020304))).toBe('2b00' + '00' + '01020304' + '00' + '00' + '00')
    expect(hexOf(locate10Cdb(7, { partition: 1, immediate: true, blockAddressType: true }))).toBe(
      '2b07000000000700' + '0100'
    )
  })

  it('LOCATE(16): DEST_TYPE in bits 5:3 (file = 0x08 as PBS), partition byte 3, 64-bit id', () => {
    // PBS locate_file: 92 08 00 00 <position u64> 00 00 00 00
    expect(hexOf(locate16Cdb(5, { destination: 'file' }))).toBe(
      '9208' + '0000' + '0000000000000005' + '00000000'
    )
    expect(hexOf(locate16Cdb(1000))).toBe('9200000000000000000003e800000000')
    expect(
      hexOf(locate16Cdb(0, { destination: 'end-of-data', partition: 1, immediate: true }))
    ).toBe('921b0001' + '0000000000000000' + '00000000')
  })

  it('READ POSITION: service action selects the form; allocation only for extended', () => {
    expect(hexOf(readPositionCdb('long'))).toBe('34060000000000000000') // PBS position()
    expect(hexOf(readPositionCdb('short'))).toBe('34000000000000000000')
    expect(hexOf(readPositionCdb('extended'))).toBe('34080000000000002000')
  })

  it('REWIND, LOAD UNLOAD (PBS load/eject bytes), ERASE, FORMAT MEDIUM', () => {
    expect(hexOf(rewindCdb())).toBe('010000000000')
    expect(hexOf(rewindCdb({ immediate: true }))).toBe('010100000000')
    expect(hexOf(loadUnloadCdb({ load: true }))).toBe('1b0000000100') // PBS load()
    expect(hexOf(loadUnloadCdb({ load: false }))).toBe('1b0000000000') // PBS eject()
    expect(hexOf(loadUnloadCdb({ load: false, hold: true }))).toBe('1b0000000800')
    expect(hexOf(loadUnloadCdb({ load: false, eot: true, immediate: true }))).toBe('1b0100000400')
    expect(hexOf(loadUnloadCdb({ load: true, retension: true }))).toBe('1b0000000300')
    expect(hexOf(eraseCdb())).toBe('190000000000') // PBS erase_media(fast)
    expect(hexOf(eraseCdb({ long: true }))).toBe('190100000000') // PBS erase_media(slow)
    expect(hexOf(eraseCdb({ long: true, immediate: true }))).toBe('190300000000')
    expect(hexOf(formatMediumCdb())).toBe('040000000000') // PBS LTO-5..8
    expect(hexOf(formatMediumCdb({ immediate: true }))).toBe('040100000000') // PBS LTO-9
    expect(hexOf(formatMediumCdb({ format: 2, verify: true, parameterListLength: 12 }))).toBe(
      '040202000c00'
    )
  })

  it('READ BLOCK LIMITS and REPORT DENSITY SUPPORT', () => {
    expect(hexOf(readBlockLimitsCdb())).toBe('050000000000')
    expect(hexOf(reportDensitySupportCdb(8192, true))).toBe('44010000000000200000')
  })
})

describe('SMC CDBs', () => {
  it('READ ELEMENT STATUS per type with VOLTAG, DVCID; PBS counts 1000 and allocates 0xFFFF', () => {
    // storage slots with barcodes: B8 12 0000 03E8 00 00FFFF 00 00
    expect(hexOf(readElementStatusCdb({ elementType: ElementType.STORAGE, voltag: true }))).toBe(
      'b812' + '0000' + '03e8' + '00' + '00ffff' + '0000'
    )
    // drives with DVCID, no VOLTAG, starting at 500 (0x01F4)
    expect(
      hexOf(
        readElementStatusCdb({
          elementType: ElementType.DATA_TRANSFER,
          startAddress: 500,
          count: 2,
          dvcid: true,
          allocationLength: 0x10000
        })
      )
    ).toBe('b804' + '01f4' + '0002' + '01' + '010000' + '0000')
    expect(
      hexOf(
        readElementStatusCdb({
          elementType: ElementType.MEDIUM_TRANSPORT,
          count: 1,
          curdata: true,
          allocationLength: 64
        })
      )
    ).toBe('b80100000001020000400000')
  })

  it('MOVE MEDIUM: transport, source, destination, INVERT (PBS: A5 00 <t> <s> <d> 00 00 00 00)', () => {
    expect(hexOf(moveMediumCdb(1, 1000, 500))).toBe(
      'a500' + '0001' + '03e8' + '01f4' + '0000' + '0000'
    )
    expect(hexOf(moveMediumCdb(0, 10, 1009, true))).toBe('a5000000000a03f100000100')
  })

  it('INITIALIZE ELEMENT STATUS', () => {
    expect(hexOf(initializeElementStatusCdb())).toBe('070000000000')
  })
})

describe('command names and default timeouts (PBS values)', () => {
  it('names commands by opcode', () => {
    expect(commandName(readBlockCdb(10))).toBe('READ(6)')
    expect(commandName(moveMediumCdb(0, 1, 2))).toBe('MOVE MEDIUM')
    expect(commandName(Uint8Array.of(0xc1, 0, 0, 0, 0, 0))).toBe('opcode 0xc1')
  })

  it('30 s for status commands, 10 min for tape motion, 5/30 min for changers', () => {
    expect(defaultTimeoutMs(testUnitReadyCdb())).toBe(30_000)
    expect(defaultTimeoutMs(readPositionCdb())).toBe(30_000)
    expect(defaultTimeoutMs(logSenseCdb({ page: 0x17 }))).toBe(60_000)
    expect(defaultTimeoutMs(writeBlockCdb(1))).toBe(600_000)
    expect(defaultTimeoutMs(rewindCdb())).toBe(600_000)
    expect(defaultTimeoutMs(moveMediumCdb(0, 1, 2))).toBe(300_000)
    expect(defaultTimeoutMs(initializeElementStatusCdb())).toBe(1_800_000)
    // a long erase without IMMED runs for hours; with IMMED it returns at once
    expect(defaultTimeoutMs(eraseCdb({ long: true }))).toBe(24 * 3_600_000)
    expect(defaultTimeoutMs(eraseCdb({ long: true, immediate: true }))).toBe(600_000)
  })
})
