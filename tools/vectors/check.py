#!/usr/bin/env python3
"""check.py - validate vectors32 and vectorsSimd files.

Usage: check.py [--model] FILE.txt[.gz]...

Always checks the structure of every line (field count, widths, mask
sanity, ESP and windows).  Lines with 61 fields are SIMD lines
(vectorsSimd, README.md "SIMD vectors"); with --model they are replayed
on a model of the MMX / SSE2 integer instructions (simd_execute).  With --model it also replays the instruction
on a small reference interpreter written from the Intel/AMD manuals
(a subset of the families: the ALU, shift, bit, multiply/divide, BCD,
condition and data-movement ones) and compares the compared state with
what the CPU recorded.  A mismatch means either a harness/mask bug or a
case where the CPU differs from the documentation; both need a look.
"""
import gzip
import sys

CODE, DATA, STACK, WIN = 0x1000, 0x200000, 0x300000, 64
CF, PF, AF, ZF, SF, DF, OF = 1, 4, 0x10, 0x40, 0x80, 0x400, 0x800
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)


def parse(line):
    f = line.split()
    assert len(f) == 27, "field count %d" % len(f)
    code = bytes.fromhex(f[0])
    r0 = [int(x, 16) for x in f[1:9]]
    fl0 = int(f[9], 16)
    w0 = (bytes.fromhex(f[10]), bytes.fromhex(f[11]))
    r1 = [int(x, 16) for x in f[12:20]]
    fl1 = int(f[20], 16)
    w1 = (bytes.fromhex(f[21]), bytes.fromhex(f[22]))
    eipd, vec = int(f[23], 16), int(f[24], 16)
    fmask, rmask = int(f[25], 16), int(f[26], 16)
    for w in w0 + w1:
        assert len(w) == WIN
    assert fmask & ~0xcd5 == 0, "fmask has bits outside CF PF AF ZF SF OF DF"
    assert rmask <= 0xff
    assert STACK <= r0[ESP] <= STACK + WIN, "initial ESP outside the window"
    assert fl0 & 0x202 == 0x202 and fl0 & 0x100 == 0
    if vec >= 0 and vec != 4:
        assert eipd == 0, "fault with EIP delta %d" % eipd
    return code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask


class Unsupported(Exception):
    pass


def parity(v):
    return PF if bin(v & 0xff).count("1") % 2 == 0 else 0


def szp(v, bits):
    m = (1 << bits) - 1
    v &= m
    return (ZF if v == 0 else 0) | (SF if v >> (bits - 1) & 1 else 0) | parity(v)


class Machine:
    def __init__(self, r, fl, w):
        self.lock = False
        self.r = list(r)
        self.fl = fl
        self.mem = {}
        for i in range(WIN):
            self.mem[DATA + i] = w[0][i]
            self.mem[STACK + i] = w[1][i]
        self.eip = CODE
        self.vec = -1

    # --- registers
    def getr(self, n, bits):
        if bits == 8:
            return (self.r[n & 3] >> (8 if n >= 4 else 0)) & 0xff
        return self.r[n] & ((1 << bits) - 1)

    def setr(self, n, bits, v):
        if bits == 8:
            sh = 8 if n >= 4 else 0
            self.r[n & 3] = (self.r[n & 3] & ~(0xff << sh) | (v & 0xff) << sh) & 0xffffffff
        elif bits == 16:
            self.r[n] = (self.r[n] & 0xffff0000) | (v & 0xffff)
        else:
            self.r[n] = v & 0xffffffff

    # --- memory
    def rd(self, a, bits):
        v = 0
        for i in range(bits // 8):
            ai = (a + i) & 0xffffffff
            if ai not in self.mem:
                raise Unsupported("read outside windows %x" % ai)
            v |= self.mem[ai] << (8 * i)
        return v

    def wr(self, a, bits, v):
        for i in range(bits // 8):
            ai = (a + i) & 0xffffffff
            if ai not in self.mem:
                raise Unsupported("write outside windows %x" % ai)
            self.mem[ai] = v >> (8 * i) & 0xff

    # --- stack (32-bit stack segment)
    def push(self, bits, v):
        self.r[ESP] = (self.r[ESP] - bits // 8) & 0xffffffff
        self.wr(self.r[ESP], bits, v & ((1 << bits) - 1))

    def pop(self, bits):
        v = self.rd(self.r[ESP], bits)
        self.r[ESP] = (self.r[ESP] + bits // 8) & 0xffffffff
        return v

    # --- operands: ('r', n) or ('m', addr)
    def get(self, op, bits):
        return self.getr(op[1], bits) if op[0] == "r" else self.rd(op[1], bits)

    def put(self, op, bits, v):
        if op[0] == "r":
            self.setr(op[1], bits, v)
        else:
            self.wr(op[1], bits, v & ((1 << bits) - 1))


class Decoder:
    def __init__(self, code):
        self.code = code
        self.pos = 0
        self.regform = False

    def byte(self):
        b = self.code[self.pos]
        self.pos += 1
        return b

    def imm(self, n, signed=False):
        v = int.from_bytes(self.code[self.pos:self.pos + n], "little")
        self.pos += n
        if signed and v >> (8 * n - 1):
            v -= 1 << (8 * n)
        return v

    def modrm(self, m, a16):
        b = self.byte()
        mod, reg, rm = b >> 6, b >> 3 & 7, b & 7
        if mod == 3:
            self.regform = True
            return reg, ("r", rm)
        r = m.r
        if a16:
            base = [r[EBX] + r[ESI], r[EBX] + r[EDI], r[EBP] + r[ESI], r[EBP] + r[EDI],
                    r[ESI], r[EDI], r[EBP], r[EBX]][rm]
            if mod == 0 and rm == 6:
                base = self.imm(2)
            elif mod == 1:
                base += self.imm(1, True)
            elif mod == 2:
                base += self.imm(2)
            return reg, ("m", base & 0xffff)
        if rm == 4:
            sib = self.byte()
            ss, idx, base = sib >> 6, sib >> 3 & 7, sib & 7
            ea = 0 if idx == 4 else r[idx] << ss
            if base == 5 and mod == 0:
                ea += self.imm(4)
            else:
                ea += r[base]
        elif rm == 5 and mod == 0:
            ea = self.imm(4)
        else:
            ea = r[rm]
        if mod == 1:
            ea += self.imm(1, True)
        elif mod == 2:
            ea += self.imm(4)
        return reg, ("m", ea & 0xffffffff)


def lockable(opc):
    """opcodes that accept LOCK (with a memory destination)"""
    if opc < 0x40:
        return opc & 7 < 2 and opc >> 3 != 7
    return opc in (0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0xf6, 0xf7, 0xfe, 0xff,
                   0x0fab, 0x0fb3, 0x0fbb, 0x0fba, 0x0fb0, 0x0fb1, 0x0fc0, 0x0fc1, 0x0fc7)


def cond(fl, cc):
    c, z, s, o, p = fl & CF, fl & ZF, bool(fl & SF), bool(fl & OF), fl & PF
    v = [o, c, z, c or z, s, p, s != o, z or s != o][cc >> 1]
    return bool(v) != bool(cc & 1)


def alu(m, op, a, b, bits):
    """returns (result, flags); op 0..7 = add or adc sbb and sub xor cmp"""
    msk = (1 << bits) - 1
    top = 1 << (bits - 1)
    cin = m.fl & CF if op in (2, 3) else 0
    if op in (0, 2):
        res = a + b + cin
        f = (CF if res > msk else 0) | ((a ^ b ^ res) & 0x10)
        f |= OF if (~(a ^ b) & (a ^ res) & top) else 0
    elif op in (3, 5, 7):
        res = a - b - cin
        f = (CF if res < 0 else 0) | ((a ^ b ^ res) & 0x10)
        f |= OF if ((a ^ b) & (a ^ res) & top) else 0
    else:
        res = {1: a | b, 4: a & b, 6: a ^ b}[op]
        f = 0
    res &= msk
    return res, f | szp(res, bits)


def setflags(m, f, affected=0xcd5 & ~DF):
    m.fl = (m.fl & ~affected) | (f & affected)


def execute(m, code):
    d = Decoder(code)
    o16 = a16 = lock = False
    rep = 0
    while True:
        b = d.byte()
        if b == 0x66:
            o16 = True
        elif b == 0x67:
            a16 = True
        elif b == 0xf0:
            lock = True
        elif b in (0xf2, 0xf3):
            rep = b
        elif b in (0x26, 0x2e, 0x36, 0x3e):
            pass
        else:
            break
    osz = 16 if o16 else 32
    m.lock = lock
    m.decoder = d
    m.opc = b if b != 0x0f else 0x0f00 | d.code[d.pos]
    if lock and not lockable(m.opc):
        m.vec = 6
        return
    # privileged at CPL 3 / IOPL 0 (#GP) and UD2 (#UD)
    if b in (0xf4, 0xfa, 0xfb, 0x6c, 0x6d, 0x6e, 0x6f) or 0xe4 <= b <= 0xe7 or 0xec <= b <= 0xef \
            or m.opc in (0x0f06, 0x0f08, 0x0f09, 0x0f20, 0x0f21, 0x0f22, 0x0f23, 0x0f30, 0x0f32):
        m.vec = 13
        return
    if m.opc == 0x0f0b:
        m.vec = 6
        return

    def fin():
        m.eip = CODE + d.pos

    # ---- ALU 00-3F
    if b < 0x40 and b & 7 < 6:
        op, form = b >> 3, b & 7
        bits = 8 if form in (0, 2, 4) else osz
        if form < 4:
            reg, rm = d.modrm(m, a16)
            ro = ("r", reg)
            dst, src = (rm, ro) if form < 2 else (ro, rm)
        else:
            dst, src = ("r", EAX), ("i", d.imm(bits // 8))
        a = m.get(dst, bits)
        bv = src[1] if src[0] == "i" else m.get(src, bits)
        res, f = alu(m, op, a, bv, bits)
        if op != 7:
            m.put(dst, bits, res)
        setflags(m, f)
        return fin()
    if b in (0x80, 0x81, 0x82, 0x83):
        bits = 8 if b in (0x80, 0x82) else osz
        op, rm = d.modrm(m, a16)
        if b == 0x81:
            iv = d.imm(bits // 8)
        else:
            iv = d.imm(1, True) & ((1 << bits) - 1)
        res, f = alu(m, op, m.get(rm, bits), iv, bits)
        if op != 7:
            m.put(rm, bits, res)
        setflags(m, f)
        return fin()
    # ---- TEST
    if b in (0x84, 0x85, 0xa8, 0xa9):
        bits = 8 if b in (0x84, 0xa8) else osz
        if b in (0x84, 0x85):
            reg, rm = d.modrm(m, a16)
            a, bv = m.get(rm, bits), m.getr(reg, bits)
        else:
            a, bv = m.getr(EAX, bits), d.imm(bits // 8)
        setflags(m, szp(a & bv, bits))
        return fin()
    # ---- INC/DEC r
    if 0x40 <= b < 0x50:
        n = b & 7
        a = m.getr(n, osz)
        res, f = alu(m, 5 if b & 8 else 0, a, 1, osz)
        m.setr(n, osz, res)
        setflags(m, f, 0xcd5 & ~DF & ~CF)
        return fin()
    # ---- group 3
    if b in (0xf6, 0xf7):
        bits = 8 if b == 0xf6 else osz
        msk = (1 << bits) - 1
        ext, rm = d.modrm(m, a16)
        a = m.get(rm, bits)
        if ext == 0:
            setflags(m, szp(a & d.imm(bits // 8), bits))
        elif ext == 2:
            m.put(rm, bits, ~a)
        elif ext == 3:
            res, f = alu(m, 5, 0, a, bits)
            m.put(rm, bits, res)
            setflags(m, f)
        elif ext in (4, 5):
            acc = m.getr(EAX, bits)
            if ext == 4:
                p = acc * a
                over = p >> bits != 0
            else:
                sa = acc - (1 << bits) if acc >> (bits - 1) else acc
                sb = a - (1 << bits) if a >> (bits - 1) else a
                p = sa * sb
                over = not (-(1 << (bits - 1)) <= p < (1 << (bits - 1)))
                p &= (1 << (2 * bits)) - 1
            if bits == 8:
                m.setr(EAX, 16, p)
            else:
                m.setr(EAX, bits, p & msk)
                m.setr(EDX, bits, p >> bits)
            setflags(m, (CF | OF) if over else 0, CF | OF)
        else:
            if bits == 8:
                n = m.getr(EAX, 16)
            else:
                n = m.getr(EDX, bits) << bits | m.getr(EAX, bits)
            if a == 0:
                m.vec = 0
                return
            if ext == 6:
                q, r = divmod(n, a)
                if q > msk:
                    m.vec = 0
                    return
            else:
                sn = n - (1 << 2 * bits) if n >> (2 * bits - 1) else n
                sa = a - (1 << bits) if a >> (bits - 1) else a
                q = abs(sn) // abs(sa)
                if (sn < 0) != (sa < 0):
                    q = -q
                r = sn - q * sa
                if not (-(1 << (bits - 1)) <= q < (1 << (bits - 1))):
                    m.vec = 0
                    return
            if bits == 8:
                m.setr(EAX, 8, q)
                m.setr(4, 8, r)
            else:
                m.setr(EAX, bits, q)
                m.setr(EDX, bits, r)
        return fin()
    # ---- INC/DEC r/m
    if b in (0xfe, 0xff):
        bits = 8 if b == 0xfe else osz
        ext, rm = d.modrm(m, a16)
        if ext > 1:
            return ff_branch(m, d, ext, rm, osz, fin)
        res, f = alu(m, 5 if ext else 0, m.get(rm, bits), 1, bits)
        m.put(rm, bits, res)
        setflags(m, f, 0xcd5 & ~DF & ~CF)
        return fin()
    # ---- shifts and rotates
    if b in (0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3):
        bits = 8 if b & 1 == 0 else osz
        ext, rm = d.modrm(m, a16)
        cnt = d.imm(1) if b < 0xd0 else 1 if b < 0xd2 else m.r[ECX] & 0xff
        shift(m, ext, rm, bits, cnt & 31)
        return fin()
    if b == 0x0f:
        return execute_0f(m, d, o16, a16, osz, fin)
    # ---- BCD
    if b in (0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5):
        bcd(m, b, d)
        return fin() if m.vec < 0 else None
    # ---- Jcc short, loops
    if 0x70 <= b < 0x80 or 0xe0 <= b <= 0xe3:
        disp = d.imm(1, True)
        if b < 0x80:
            taken = cond(m.fl, b & 15)
        else:
            cmask = 0xffff if a16 else 0xffffffff
            if b == 0xe3:
                taken = m.r[ECX] & cmask == 0
            else:
                c = (m.r[ECX] - 1) & cmask
                m.r[ECX] = (m.r[ECX] & ~cmask) | c
                taken = c != 0 and (b == 0xe2 or bool(m.fl & ZF) == (b == 0xe1))
        fin()
        if taken:
            m.eip = (m.eip + disp) & (0xffff if o16 else 0xffffffff)
        return
    if b in (0x98, 0x99):
        ax = m.r[EAX]
        if b == 0x98:
            if o16:
                m.setr(EAX, 16, (ax & 0xff) - (0x100 if ax & 0x80 else 0))
            else:
                m.r[EAX] = ((ax & 0xffff) - (0x10000 if ax & 0x8000 else 0)) & 0xffffffff
        else:
            top = ax >> (osz - 1) & 1
            m.setr(EDX, osz, 0xffffffff if top else 0)
        return fin()
    return execute_more(m, d, b, o16, a16, osz, rep, fin)


def execute_more(m, d, b, o16, a16, osz, rep, fin):
    ipmask = 0xffff if o16 else 0xffffffff
    # ---- MOV
    if 0x88 <= b <= 0x8b:
        bits = 8 if b & 1 == 0 else osz
        reg, rm = d.modrm(m, a16)
        if b < 0x8a:
            m.put(rm, bits, m.getr(reg, bits))
        else:
            m.setr(reg, bits, m.get(rm, bits))
        return fin()
    if 0xb0 <= b <= 0xbf:
        bits = 8 if b < 0xb8 else osz
        m.setr(b & 7, bits, d.imm(bits // 8))
        return fin()
    if b in (0xc6, 0xc7):
        bits = 8 if b == 0xc6 else osz
        _, rm = d.modrm(m, a16)
        m.put(rm, bits, d.imm(bits // 8))
        return fin()
    if 0xa0 <= b <= 0xa3:
        bits = 8 if b & 1 == 0 else osz
        a = d.imm(2 if a16 else 4)
        if b < 0xa2:
            m.setr(EAX, bits, m.rd(a, bits))
        else:
            m.wr(a, bits, m.getr(EAX, bits))
        return fin()
    # ---- XCHG
    if b in (0x86, 0x87):
        bits = 8 if b == 0x86 else osz
        reg, rm = d.modrm(m, a16)
        a, v = m.get(rm, bits), m.getr(reg, bits)
        m.put(rm, bits, v)
        m.setr(reg, bits, a)
        return fin()
    if 0x90 <= b <= 0x97:
        a, v = m.getr(EAX, osz), m.getr(b & 7, osz)
        m.setr(EAX, osz, v)
        m.setr(b & 7, osz, a)
        return fin()
    # ---- LEA
    if b == 0x8d:
        reg, rm = d.modrm(m, a16)
        if rm[0] == "r":
            m.vec = 6
            return
        m.setr(reg, osz, rm[1])
        return fin()
    # ---- PUSH/POP
    if 0x50 <= b <= 0x57:
        m.push(osz, m.getr(b & 7, osz))
        return fin()
    if 0x58 <= b <= 0x5f:
        v = m.pop(osz)
        m.setr(b & 7, osz, v)
        return fin()
    if b in (0x6a, 0x68):
        v = d.imm(1, True) if b == 0x6a else d.imm(osz // 8)
        m.push(osz, v)
        return fin()
    if b == 0x8f:
        # the address uses ESP after the pop
        v = m.pop(osz)
        _, rm = d.modrm(m, a16)
        m.put(rm, osz, v)
        return fin()
    if b == 0x60:
        t = m.r[ESP]
        for n in (EAX, ECX, EDX, EBX):
            m.push(osz, m.getr(n, osz))
        m.push(osz, t)
        for n in (EBP, ESI, EDI):
            m.push(osz, m.getr(n, osz))
        return fin()
    if b == 0x61:
        for n in (EDI, ESI, EBP, None, EBX, EDX, ECX, EAX):
            v = m.pop(osz)
            if n is not None:
                m.setr(n, osz, v)
        return fin()
    # ---- flags
    if b == 0x9c:
        m.push(osz, m.fl & 0x00fcffff)
        return fin()
    if b == 0x9d:
        v = m.pop(osz)
        ch = 0x254dd5 if osz == 32 else 0x4dd5     # CPL 3, IOPL 0
        m.fl = (m.fl & ~ch) | (v & ch) | 2
        return fin()
    if b == 0x9e:
        ah = m.r[EAX] >> 8 & 0xff
        m.fl = m.fl & ~0xd5 | ah & 0xd5
        return fin()
    if b == 0x9f:
        m.setr(4, 8, m.fl & 0xd7 | 2)
        return fin()
    if b in (0xf5, 0xf8, 0xf9, 0xfc, 0xfd):
        m.fl = {0xf5: m.fl ^ CF, 0xf8: m.fl & ~CF, 0xf9: m.fl | CF,
                0xfc: m.fl & ~DF, 0xfd: m.fl | DF}[b]
        return fin()
    # ---- ENTER/LEAVE
    if b == 0xc8:
        size, level = d.imm(2), d.imm(1) & 31
        step = osz // 8
        m.push(osz, m.getr(EBP, osz))
        frame = m.r[ESP]
        if level:
            ebp = m.r[EBP]
            for _ in range(level - 1):
                ebp = (ebp - step) & 0xffffffff
                m.push(osz, m.rd(ebp, osz))
            m.push(osz, frame)
            m.r[EBP] = ebp
        m.setr(EBP, osz, frame)
        m.r[ESP] = (m.r[ESP] - size) & 0xffffffff
        return fin()
    if b == 0xc9:
        m.r[ESP] = m.r[EBP]
        m.setr(EBP, osz, m.pop(osz))
        return fin()
    # ---- JMP/CALL/RET
    if b in (0xeb, 0xe9, 0xe8):
        disp = d.imm(1, True) if b == 0xeb else d.imm(osz // 8, True)
        fin()
        if b == 0xe8:
            m.push(osz, m.eip)
        m.eip = (m.eip + disp) & ipmask
        return
    if b in (0xc2, 0xc3):
        imm = d.imm(2) if b == 0xc2 else 0
        m.eip = m.pop(osz)
        m.r[ESP] = (m.r[ESP] + imm) & 0xffffffff
        return
    # ---- string instructions
    if 0xa4 <= b <= 0xaf and b not in (0xa8, 0xa9):
        bits = 8 if b & 1 == 0 else osz
        step = -(bits // 8) if m.fl & DF else bits // 8
        amask = 0xffff if a16 else 0xffffffff
        kind = b & 0xfe

        def adv(n):
            m.r[n] = (m.r[n] & ~amask) | ((m.r[n] + step) & amask)

        while True:
            if rep and m.r[ECX] & amask == 0:
                break
            si, di = m.r[ESI] & amask, m.r[EDI] & amask
            if kind == 0xa4:
                m.wr(di, bits, m.rd(si, bits))
                adv(ESI)
                adv(EDI)
            elif kind == 0xa6:
                _, f = alu(m, 7, m.rd(si, bits), m.rd(di, bits), bits)
                setflags(m, f)
                adv(ESI)
                adv(EDI)
            elif kind == 0xaa:
                m.wr(di, bits, m.getr(EAX, bits))
                adv(EDI)
            elif kind == 0xac:
                m.setr(EAX, bits, m.rd(si, bits))
                adv(ESI)
            else:
                _, f = alu(m, 7, m.getr(EAX, bits), m.rd(di, bits), bits)
                setflags(m, f)
                adv(EDI)
            if not rep:
                break
            m.r[ECX] = (m.r[ECX] & ~amask) | ((m.r[ECX] - 1) & amask)
            if kind in (0xa6, 0xae) and bool(m.fl & ZF) != (rep == 0xf3):
                break
        return fin()
    if b == 0xd7:
        a = (m.r[EBX] + (m.r[EAX] & 0xff)) & (0xffff if a16 else 0xffffffff)
        m.setr(EAX, 8, m.rd(a, 8))
        return fin()
    # ---- BOUND/INTO
    if b == 0x62:
        reg, rm = d.modrm(m, a16)
        if rm[0] == "r":
            raise Unsupported("EVEX")
        lo, hi, v = m.rd(rm[1], osz), m.rd(rm[1] + osz // 8, osz), m.getr(reg, osz)

        def sgn(x):
            return x - (1 << osz) if x >> (osz - 1) else x
        if not sgn(lo) <= sgn(v) <= sgn(hi):
            m.vec = 5
            return
        return fin()
    if b == 0xce:
        fin()
        if m.fl & OF:
            m.vec = 4
        return
    if b in (0x69, 0x6b):
        reg, rm = d.modrm(m, a16)
        iv = d.imm(osz // 8) if b == 0x69 else d.imm(1, True) & ((1 << osz) - 1)
        return imul3(m, reg, m.get(rm, osz), iv, osz, fin)
    raise Unsupported("opcode %02x" % b)


def ff_branch(m, d, ext, rm, osz, fin):
    """FF /2 call, /4 jmp, /6 push (the operand is read before ESP moves)"""
    if ext not in (2, 4, 6):
        raise Unsupported("ff /%d" % ext)
    v = m.get(rm, osz)
    fin()
    if ext == 6:
        m.push(osz, v)
        return
    if ext == 2:
        m.push(osz, m.eip)
    m.eip = v


def shift(m, ext, rm, bits, c):
    if c == 0:
        return
    a = m.get(rm, bits)
    msk = (1 << bits) - 1
    top = bits - 1
    f = m.fl
    if ext in (0, 1):                            # ROL ROR
        n = c % bits
        res = ((a << n) | (a >> (bits - n))) & msk if ext == 0 else \
              ((a >> n) | (a << (bits - n))) & msk
        cf = res & 1 if ext == 0 else res >> top & 1
        of = (res >> top & 1) ^ cf if ext == 0 else (res >> top ^ res >> (top - 1)) & 1
        f = f & ~(CF | OF) | (CF if cf else 0) | (OF if of else 0)
    elif ext in (2, 3):                          # RCL RCR
        n = c % (bits + 1)
        v = a | (f & CF) << bits                 # bits+1 wide
        w = bits + 1
        v = ((v << n) | (v >> (w - n))) & ((1 << w) - 1) if ext == 2 else \
            ((v >> n) | (v << (w - n))) & ((1 << w) - 1)
        res, cf = v & msk, v >> bits & 1
        if ext == 2:
            of = (res >> top & 1) ^ cf
        else:
            of = (res >> top ^ res >> (top - 1)) & 1
        f = f & ~(CF | OF) | (CF if cf else 0) | (OF if of else 0)
    else:
        if ext in (4, 6):                        # SHL
            full = a << c
            res, cf = full & msk, full >> bits & 1
            of = (res >> top & 1) ^ cf
        elif ext == 5:                           # SHR
            res, cf = a >> c, a >> (c - 1) & 1
            of = a >> top & 1
        else:                                    # SAR
            sa = a - (1 << bits) if a >> top else a
            res, cf = (sa >> c) & msk, (sa >> (c - 1)) & 1
            of = 0
        f = f & ~0x8d5 | (CF if cf else 0) | (OF if of else 0) | szp(res, bits)
    m.put(rm, bits, res)
    m.fl = f


def bcd(m, b, d):
    al, ah = m.r[EAX] & 0xff, m.r[EAX] >> 8 & 0xff
    f = m.fl
    if b in (0x27, 0x2f):                        # DAA DAS (SDM pseudocode)
        old_al, old_cf = al, f & CF
        cf = 0
        af = 0
        if (al & 15) > 9 or f & AF:
            if b == 0x27:
                cf = old_cf or al + 6 > 0xff
                al = (al + 6) & 0xff
            else:
                cf = old_cf or al < 6
                al = (al - 6) & 0xff
            af = 1
        if old_al > 0x99 or old_cf:
            al = (al + 0x60 if b == 0x27 else al - 0x60) & 0xff
            cf = 1
        m.setr(EAX, 8, al)
        m.fl = f & ~(CF | AF | ZF | SF | PF) | (CF if cf else 0) | (AF if af else 0) | szp(al, 8)
    elif b in (0x37, 0x3f):                      # AAA AAS
        if (al & 15) > 9 or f & AF:
            ax = (m.r[EAX] + (0x106 if b == 0x37 else -6)) & 0xffff
            if b == 0x3f:
                ax = (ax - 0x100) & 0xffff
            m.setr(EAX, 16, ax & 0xff0f)
            m.fl = f | AF | CF
        else:
            m.setr(EAX, 8, al & 15)
            m.fl = f & ~(AF | CF)
    else:
        imm = d.imm(1)
        if b == 0xd4:
            if imm == 0:
                m.vec = 0
                return
            ah, al = al // imm, al % imm
        else:
            al, ah = (al + ah * imm) & 0xff, 0
        m.setr(EAX, 16, ah << 8 | al)
        m.fl = f & ~(ZF | SF | PF) | szp(al, 8)


def execute_0f(m, d, o16, a16, osz, fin):
    b = d.byte()
    if 0x80 <= b < 0x90:
        disp = d.imm(2 if o16 else 4, True)
        fin()
        if cond(m.fl, b & 15):
            m.eip = (m.eip + disp) & (0xffff if o16 else 0xffffffff)
        return
    if 0x90 <= b < 0xa0:
        _, rm = d.modrm(m, a16)
        m.put(rm, 8, 1 if cond(m.fl, b & 15) else 0)
        return fin()
    if 0x40 <= b < 0x50:
        reg, rm = d.modrm(m, a16)
        v = m.get(rm, osz)
        if cond(m.fl, b & 15):
            m.setr(reg, osz, v)
        return fin()
    if b in (0xb6, 0xb7, 0xbe, 0xbf):
        reg, rm = d.modrm(m, a16)
        sb = 8 if b & 1 == 0 else 16
        v = m.get(rm, sb)
        if b >= 0xbe and v >> (sb - 1):
            v -= 1 << sb
        m.setr(reg, osz, v & 0xffffffff)
        return fin()
    if b in (0xbc, 0xbd):
        reg, rm = d.modrm(m, a16)
        v = m.get(rm, osz)
        if v == 0:
            m.fl |= ZF
        else:
            m.fl &= ~ZF
            m.setr(reg, osz, (v & -v).bit_length() - 1 if b == 0xbc else v.bit_length() - 1)
        return fin()
    if b in (0xa3, 0xab, 0xb3, 0xbb, 0xba):
        reg, rm = d.modrm(m, a16)
        if b == 0xba:
            op = reg - 4
            off = d.imm(1) & (osz - 1)
            tgt = rm
        else:
            op = {0xa3: 0, 0xab: 1, 0xb3: 2, 0xbb: 3}[b]
            off = m.getr(reg, osz)
            if rm[0] == "r":
                off &= osz - 1
                tgt = rm
            else:
                if off >> (osz - 1):
                    off -= 1 << osz
                tgt = ("m", (rm[1] + (off >> (5 if osz == 32 else 4)) * (osz // 8)) & 0xffffffff)
                off &= osz - 1
        v = m.get(tgt, osz)
        m.fl = m.fl & ~CF | (v >> off & 1)
        if op == 1:
            m.put(tgt, osz, v | 1 << off)
        elif op == 2:
            m.put(tgt, osz, v & ~(1 << off))
        elif op == 3:
            m.put(tgt, osz, v ^ 1 << off)
        return fin()
    if b in (0xa4, 0xa5, 0xac, 0xad):
        reg, rm = d.modrm(m, a16)
        c = (d.imm(1) if b in (0xa4, 0xac) else m.r[ECX]) & 31
        if c == 0:
            return fin()
        a, s = m.get(rm, osz), m.getr(reg, osz)
        msk = (1 << osz) - 1
        if b in (0xa4, 0xa5):
            full = (a << osz | s) << c
            res = full >> osz & msk
            cf = full >> (2 * osz) & 1
        else:
            full = (s << osz | a) >> (c - 1)
            cf = full & 1
            res = full >> 1 & msk
        of = (res ^ a) >> (osz - 1) & 1
        m.put(rm, osz, res)
        m.fl = m.fl & ~0x8d5 | cf | (OF if of else 0) | szp(res, osz)
        return fin()
    if b in (0xaf,):
        reg, rm = d.modrm(m, a16)
        return imul3(m, reg, m.get(rm, osz), m.getr(reg, osz), osz, fin)
    if 0xc8 <= b <= 0xcf:
        n = b & 7
        if not o16:
            m.r[n] = int.from_bytes(m.r[n].to_bytes(4, "little"), "big")
        return fin()
    if b in (0xc0, 0xc1):
        bits = 8 if b == 0xc0 else osz
        reg, rm = d.modrm(m, a16)
        a, s = m.get(rm, bits), m.getr(reg, bits)
        res, f = alu(m, 0, a, s, bits)
        m.setr(reg, bits, a)
        m.put(rm, bits, res)
        setflags(m, f)
        return fin()
    if b in (0xb0, 0xb1):
        bits = 8 if b == 0xb0 else osz
        reg, rm = d.modrm(m, a16)
        acc, v = m.getr(EAX, bits), m.get(rm, bits)
        _, f = alu(m, 7, acc, v, bits)
        setflags(m, f)
        if acc == v:
            m.put(rm, bits, m.getr(reg, bits))
        else:
            m.setr(EAX, bits, v)
        return fin()
    if b == 0xc7:
        ext, rm = d.modrm(m, a16)
        if ext != 1 or rm[0] == "r":
            m.vec = 6
            return
        v = m.rd(rm[1], 32) | m.rd(rm[1] + 4, 32) << 32
        if v == m.r[EDX] << 32 | m.r[EAX]:
            m.wr(rm[1], 32, m.r[EBX])
            m.wr(rm[1] + 4, 32, m.r[ECX])
            m.fl |= ZF
        else:
            m.r[EAX], m.r[EDX] = v & 0xffffffff, v >> 32
            m.fl &= ~ZF
        return fin()
    raise Unsupported("0f %02x" % b)


def imul3(m, reg, a, bv, bits, fin):
    sa = a - (1 << bits) if a >> (bits - 1) else a
    sb = bv - (1 << bits) if bv >> (bits - 1) else bv
    p = sa * sb
    over = not (-(1 << (bits - 1)) <= p < (1 << (bits - 1)))
    m.setr(reg, bits, p & ((1 << bits) - 1))
    setflags(m, (CF | OF) if over else 0, CF | OF)
    return fin()


def model_line(rec):
    code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask = rec
    m = Machine(r0, fl0, w0)
    execute(m, code)
    if m.lock and m.decoder.regform:
        m = Machine(r0, fl0, w0)              # LOCK on a register form
        m.vec = 6
    errs = []
    if m.vec != vec:
        return ["vector model %d cpu %d" % (m.vec, vec)]
    if m.vec >= 0 and m.vec != 4:
        m = Machine(r0, fl0, w0)              # faults change nothing
        m.vec = vec
    for i in range(8):
        if rmask >> i & 1 and m.r[i] != r1[i]:
            errs.append("reg %d model %08x cpu %08x" % (i, m.r[i], r1[i]))
    if (m.fl ^ fl1) & fmask:
        errs.append("flags model %03x cpu %03x diff %03x" % (m.fl & 0xfff, fl1 & 0xfff, (m.fl ^ fl1) & fmask))
    for wi, base in ((0, DATA), (1, STACK)):
        got = bytes(m.mem[base + i] for i in range(WIN))
        if got != w1[wi]:
            errs.append("window %d differs" % wi)
    if m.eip - CODE != eipd:
        errs.append("eip delta model %x cpu %x" % (m.eip - CODE, eipd))
    return errs


# ======================================================================
# SIMD lines (vectorsSimd, 61 fields): MMX and SSE2 integer instructions,
# modelled from the SDM instruction pages.

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1


def parse_simd(f):
    assert len(f) == 61, "field count %d" % len(f)
    rec = parse(" ".join(f[:27]))
    simd = []
    for base in (27, 44):
        mm = [int(x, 16) for x in f[base:base + 8]]
        xmm = [int(x, 16) for x in f[base + 8:base + 16]]
        for x in f[base:base + 8]:
            assert len(x) == 16, "MM field width"
        for x in f[base + 8:base + 16]:
            assert len(x) == 32, "XMM field width"
        assert len(f[base + 16]) == 8, "MXCSR field width"
        simd.append((mm, xmm, int(f[base + 16], 16)))
    assert rec[9] == 0xcd5 and rec[10] == 0xff, "SIMD masks are always full"
    return rec, simd


def lanes(v, w, n):
    m = (1 << w) - 1
    return [(v >> (w * i)) & m for i in range(n // w)]


def join(es, w):
    m = (1 << w) - 1
    v = 0
    for i, e in enumerate(es):
        v |= (e & m) << (w * i)
    return v


def sx(v, w):
    return v - (1 << w) if v >> (w - 1) & 1 else v


def sat_s(v, w):
    return max(-(1 << (w - 1)), min((1 << (w - 1)) - 1, v))


def sat_u(v, w):
    return max(0, min((1 << w) - 1, v))


# element-wise ops: opcode -> (element width, f(a, b))
ELEM = {
    0xfc: (8, lambda a, b, w: a + b), 0xfd: (16, lambda a, b, w: a + b),
    0xfe: (32, lambda a, b, w: a + b), 0xd4: (64, lambda a, b, w: a + b),
    0xf8: (8, lambda a, b, w: a - b), 0xf9: (16, lambda a, b, w: a - b),
    0xfa: (32, lambda a, b, w: a - b), 0xfb: (64, lambda a, b, w: a - b),
    0xec: (8, lambda a, b, w: sat_s(sx(a, w) + sx(b, w), w)),
    0xed: (16, lambda a, b, w: sat_s(sx(a, w) + sx(b, w), w)),
    0xe8: (8, lambda a, b, w: sat_s(sx(a, w) - sx(b, w), w)),
    0xe9: (16, lambda a, b, w: sat_s(sx(a, w) - sx(b, w), w)),
    0xdc: (8, lambda a, b, w: sat_u(a + b, w)), 0xdd: (16, lambda a, b, w: sat_u(a + b, w)),
    0xd8: (8, lambda a, b, w: sat_u(a - b, w)), 0xd9: (16, lambda a, b, w: sat_u(a - b, w)),
    0x74: (8, lambda a, b, w: -1 if a == b else 0), 0x75: (16, lambda a, b, w: -1 if a == b else 0),
    0x76: (32, lambda a, b, w: -1 if a == b else 0),
    0x64: (8, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0x65: (16, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0x66: (32, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0xdb: (64, lambda a, b, w: a & b), 0xdf: (64, lambda a, b, w: ~a & b),
    0xeb: (64, lambda a, b, w: a | b), 0xef: (64, lambda a, b, w: a ^ b),
    0xd5: (16, lambda a, b, w: sx(a, 16) * sx(b, 16)),
    0xe5: (16, lambda a, b, w: (sx(a, 16) * sx(b, 16)) >> 16),
    0xe4: (16, lambda a, b, w: (a * b) >> 16),
    0xe0: (8, lambda a, b, w: (a + b + 1) >> 1), 0xe3: (16, lambda a, b, w: (a + b + 1) >> 1),
    0xda: (8, lambda a, b, w: min(a, b)), 0xde: (8, lambda a, b, w: max(a, b)),
    0xea: (16, lambda a, b, w: min(sx(a, w), sx(b, w))), 0xee: (16, lambda a, b, w: max(sx(a, w), sx(b, w))),
}


def chunk64(op, a, b):
    """the ops that work on each 64-bit half as a whole"""
    if op == 0xf5:      # PMADDWD
        x, y = lanes(a, 16, 64), lanes(b, 16, 64)
        return join([sx(x[2 * i], 16) * sx(y[2 * i], 16) + sx(x[2 * i + 1], 16) * sx(y[2 * i + 1], 16)
                     for i in range(2)], 32)
    if op == 0xf4:      # PMULUDQ
        return (a & 0xffffffff) * (b & 0xffffffff)
    if op == 0xf6:      # PSADBW
        return sum(abs(x - y) for x, y in zip(lanes(a, 8, 64), lanes(b, 8, 64)))
    w, fn = ELEM[op]
    return join([fn(x, y, w) for x, y in zip(lanes(a, w, 64), lanes(b, w, 64))], w)


def halves(v, n):
    return [v & M64] if n == 64 else [v & M64, v >> 64]


def per_half(op, a, b, n):
    r = 0
    for i, (x, y) in enumerate(zip(halves(a, n), halves(b, n))):
        r |= (chunk64(op, x, y) & M64) << (64 * i)
    return r


UNPACK = {0x60: (8, 0), 0x61: (16, 0), 0x62: (32, 0), 0x6c: (64, 0),
          0x68: (8, 1), 0x69: (16, 1), 0x6a: (32, 1), 0x6d: (64, 1)}
PACK = {0x63: (16, 8, True), 0x6b: (32, 16, True), 0x67: (16, 8, False)}


def unpack(op, d, s, n):
    w, high = UNPACK[op]
    h = n // 2
    if high:
        d, s = d >> h, s >> h
    es = []
    for x, y in zip(lanes(d & ((1 << h) - 1), w, h), lanes(s & ((1 << h) - 1), w, h)):
        es += [x, y]
    return join(es, w)


def pack(op, d, s, n):
    w, nw, signed = PACK[op]
    es = [sx(e, w) for e in lanes(d, w, n) + lanes(s, w, n)]
    return join([sat_s(e, nw) if signed else sat_u(e, nw) for e in es], nw)


def shift_elems(kind, v, w, n, count):
    out = []
    for e in lanes(v, w, n):
        if kind == "srl":
            out.append(0 if count > w - 1 else e >> count)
        elif kind == "sll":
            out.append(0 if count > w - 1 else e << count)
        else:
            out.append(sx(e, w) >> min(count, w - 1))
    return join(out, w)


SHIFT_OP = {0xd1: ("srl", 16), 0xd2: ("srl", 32), 0xd3: ("srl", 64), 0xe1: ("sra", 16), 0xe2: ("sra", 32),
            0xf1: ("sll", 16), 0xf2: ("sll", 32), 0xf3: ("sll", 64)}
SHIFT_GRP = {(0x71, 2): ("srl", 16), (0x71, 4): ("sra", 16), (0x71, 6): ("sll", 16),
             (0x72, 2): ("srl", 32), (0x72, 4): ("sra", 32), (0x72, 6): ("sll", 32),
             (0x73, 2): ("srl", 64), (0x73, 6): ("sll", 64)}


class SimdFault(Exception):
    def __init__(self, vec):
        Exception.__init__(self, vec)
        self.vec = vec


def simd_execute(m, code):
    """m: Machine with .mm and .xmm; executes one instruction, sets m.eip"""
    d = Decoder(code)
    lock = False
    pfx = 0
    while True:
        b = d.byte()
        if b == 0xf0:
            lock = True
        elif b in (0x66, 0xf2, 0xf3):
            # F2/F3: the last one counts and outranks 66
            pfx = b if b != 0x66 or pfx == 0 else pfx
        elif b in (0x26, 0x2e, 0x36, 0x3e):
            pass
        else:
            break
    assert b == 0x0f, "not a 0F opcode"
    op = d.byte()
    x = pfx == 0x66
    n = 128 if x else 64
    reg = rm = None
    if op != 0x77:
        reg, rmo = d.modrm(m, False)
    needs_imm = op in (0x70, 0x71, 0x72, 0x73, 0xc4, 0xc5)
    imm = d.imm(1) if needs_imm else None
    m.eip = CODE + d.pos
    reg_form = op == 0x77 or rmo[0] == "r"

    def ud():
        raise SimdFault(6)

    if lock:
        ud()

    def getreg(i, xr):
        return m.xmm[i] if xr else m.mm[i]

    def setreg(i, xr, v):
        if xr:
            m.xmm[i] = v & M128
        else:
            m.mm[i] = v & M64

    def read_src(bytes_, aligned, xr):
        """the r/m source: a register of the kind xr, or memory"""
        if reg_form:
            return getreg(rmo[1], xr)
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        return m.rd(a, 8 * bytes_)

    def write_dst(v, bytes_, aligned, xr):
        if reg_form:
            setreg(rmo[1], xr, v)
            return
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        m.wr(a, 8 * bytes_, v & ((1 << (8 * bytes_)) - 1))

    if pfx not in (0, 0x66) and op not in (0x6f, 0x7f, 0x7e, 0x70, 0xd6):
        ud()
    if op in ELEM or op in (0xf4, 0xf5, 0xf6):
        s = read_src(n // 8, x, x)
        setreg(reg, x, per_half(op, getreg(reg, x), s, n))
    elif op in UNPACK:
        if op in (0x6c, 0x6d) and not x:
            ud()
        low_mmx = op in (0x60, 0x61, 0x62) and not x
        s = read_src(4 if low_mmx else n // 8, x, x)
        setreg(reg, x, unpack(op, getreg(reg, x), s, n))
    elif op in PACK:
        s = read_src(n // 8, x, x)
        setreg(reg, x, pack(op, getreg(reg, x), s, n))
    elif op in SHIFT_OP:
        kind, w = SHIFT_OP[op]
        count = read_src(n // 8, x, x) & M64
        setreg(reg, x, shift_elems(kind, getreg(reg, x), w, n, count))
    elif op in (0x71, 0x72, 0x73):
        if not reg_form:
            ud()
        i = rmo[1]
        if (op, reg) in SHIFT_GRP:
            kind, w = SHIFT_GRP[(op, reg)]
            setreg(i, x, shift_elems(kind, getreg(i, x), w, n, imm))
        elif op == 0x73 and reg in (3, 7) and x:
            c = min(imm, 16) * 8
            v = m.xmm[i] >> c if reg == 3 else m.xmm[i] << c
            setreg(i, True, v)
        else:
            ud()
    elif op == 0x6e:                        # MOVD mm/xmm, r/m32
        v = m.r[rmo[1]] if reg_form else m.rd(rmo[1], 32)
        setreg(reg, x, v)
    elif op == 0x7e and pfx != 0xf3:        # MOVD r/m32, mm/xmm
        v = getreg(reg, x) & 0xffffffff
        if reg_form:
            m.r[rmo[1]] = v
        else:
            m.wr(rmo[1], 32, v)
    elif op == 0x7e:                        # F3: MOVQ xmm, xmm/m64
        setreg(reg, True, read_src(8, False, True) & M64)
    elif op == 0x6f:                        # MOVQ / MOVDQA / MOVDQU loads
        xr = pfx != 0
        setreg(reg, xr, read_src(16 if xr else 8, pfx == 0x66, xr))
    elif op == 0x7f:
        xr = pfx != 0
        write_dst(getreg(reg, xr), 16 if xr else 8, pfx == 0x66, xr)
    elif op == 0xe7:                        # MOVNTQ / MOVNTDQ
        if reg_form:
            ud()
        write_dst(getreg(reg, x), n // 8, x, x)
    elif op == 0xd6:
        if pfx == 0x66:                     # MOVQ xmm/m64, xmm
            v = m.xmm[reg] & M64
            if reg_form:
                m.xmm[rmo[1]] = v
            else:
                m.wr(rmo[1], 64, v)
        elif not reg_form or pfx == 0:
            ud()
        elif pfx == 0xf3:                   # MOVQ2DQ xmm, mm
            m.xmm[reg] = m.mm[rmo[1]]
        else:                               # MOVDQ2Q mm, xmm
            m.mm[reg] = m.xmm[rmo[1]] & M64
    elif op == 0x70:
        if pfx == 0:
            s = read_src(8, False, False)
            ws = lanes(s, 16, 64)
            setreg(reg, False, join([ws[imm >> (2 * k) & 3] for k in range(4)], 16))
        else:
            s = read_src(16, True, True)
            if pfx == 0x66:
                ds = lanes(s, 32, 128)
                m.xmm[reg] = join([ds[imm >> (2 * k) & 3] for k in range(4)], 32)
            else:
                ws = lanes(s, 16, 128)
                part = ws[4:] if pfx == 0xf3 else ws[:4]
                sh = [part[imm >> (2 * k) & 3] for k in range(4)]
                m.xmm[reg] = join(ws[:4] + sh if pfx == 0xf3 else sh + ws[4:], 16)
    elif op == 0xc4:                        # PINSRW
        v = (m.r[rmo[1]] if reg_form else m.rd(rmo[1], 16)) & 0xffff
        k = imm & (7 if x else 3)
        old = getreg(reg, x)
        setreg(reg, x, old & ~(0xffff << (16 * k)) | v << (16 * k))
    elif op == 0xc5:                        # PEXTRW
        if not reg_form:
            ud()
        k = imm & (7 if x else 3)
        m.r[reg] = getreg(rmo[1], x) >> (16 * k) & 0xffff
    elif op == 0xd7:                        # PMOVMSKB
        if not reg_form:
            ud()
        m.r[reg] = join([e >> 7 for e in lanes(getreg(rmo[1], x), 8, n)], 1)
    elif op == 0xf7:                        # MASKMOVQ / MASKMOVDQU to DS:EDI
        if not reg_form:
            ud()
        data, mask = lanes(getreg(reg, x), 8, n), lanes(getreg(rmo[1], x), 8, n)
        for k in range(n // 8):
            if mask[k] >> 7:
                m.wr((m.r[EDI] + k) & 0xffffffff, 8, data[k])
    elif op == 0x77:                        # EMMS: nothing visible here
        pass
    else:
        ud()


def model_simd(rec, simd, code_hex):
    code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask = rec
    (mm0, xmm0, mx0), (mm1, xmm1, mx1) = simd

    def machine():
        mc = Machine(r0, fl0, w0)
        mc.mm, mc.xmm = list(mm0), list(xmm0)
        return mc
    m = machine()
    try:
        simd_execute(m, code)
    except SimdFault as e:
        m = machine()
        m.vec = e.vec
    except Unsupported as e:
        return ["model: %s" % e]
    errs = []
    if m.vec != vec:
        return ["vector model %d cpu %d" % (m.vec, vec)]
    delta = m.eip - CODE if m.vec < 0 else 0
    if delta != eipd:
        errs.append("eip delta model %x cpu %x" % (delta, eipd))
    for i in range(8):
        if m.r[i] != r1[i]:
            errs.append("reg %d model %08x cpu %08x" % (i, m.r[i], r1[i]))
        if m.mm[i] != mm1[i]:
            errs.append("mm%d model %016x cpu %016x" % (i, m.mm[i], mm1[i]))
        if m.xmm[i] != xmm1[i]:
            errs.append("xmm%d model %032x cpu %032x" % (i, m.xmm[i], xmm1[i]))
    if (m.fl ^ fl1) & fmask:
        errs.append("flags model %03x cpu %03x" % (m.fl & 0xfff, fl1 & 0xfff))
    if mx0 != mx1:
        errs.append("mxcsr changed %08x -> %08x" % (mx0, mx1))
    for wi, base in ((0, DATA), (1, STACK)):
        got = bytes(m.mem[base + i] for i in range(WIN))
        if got != w1[wi]:
            errs.append("window %d differs" % wi)
    return errs


def main(argv):
    model = "--model" in argv
    files = [a for a in argv if not a.startswith("--")]
    bad = total = 0
    for fn in files:
        op = gzip.open if fn.endswith(".gz") else open
        n = modelled = mism = 0
        with op(fn, "rt") as fh:
            for ln, line in enumerate(fh, 1):
                if line.startswith("#"):
                    continue
                n += 1
                fields = line.split()
                try:
                    if len(fields) == 61:
                        rec, simd = parse_simd(fields)
                    else:
                        rec, simd = parse(line), None
                except AssertionError as e:
                    print("%s:%d: %s" % (fn, ln, e))
                    bad += 1
                    continue
                if not model:
                    continue
                try:
                    errs = model_line(rec) if simd is None else model_simd(rec, simd, fields[0])
                except Unsupported:
                    continue
                modelled += 1
                if errs:
                    mism += 1
                    if mism <= 5:
                        print("%s:%d: %s: %s" % (fn, ln, line.split()[0], "; ".join(errs)))
        print("%s: %d tests%s" % (fn, n, ", %d modelled, %d mismatches" % (modelled, mism) if model else ""))
        bad += mism
        total += n
    print("checked %d files, %d tests, %d problems" % (len(files), total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
