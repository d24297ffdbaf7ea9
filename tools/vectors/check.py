#!/usr/bin/env python3
"""check.py - validate vectors32 files.

Usage: check.py [--model] FILE.txt[.gz]...

Always checks the structure of every line (field count, widths, mask
sanity, ESP and windows).  With --model it also replays the instruction
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
                try:
                    rec = parse(line)
                except AssertionError as e:
                    print("%s:%d: %s" % (fn, ln, e))
                    bad += 1
                    continue
                if not model:
                    continue
                try:
                    errs = model_line(rec)
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
