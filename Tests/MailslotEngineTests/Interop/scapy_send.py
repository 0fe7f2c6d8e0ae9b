#!/usr/bin/python3
"""Sends MS-MAIL datagrams built by scapy (an independent encoder) to a mailslot engine.

usage: scapy_send.py DEST_IP DEST_PORT SOURCE_IP CASE...
Each CASE is TYPE:FLAGS:TIMEOUT:SOURCE:DEST:SUFFIX:SLOT:HEXDATA, e.g.
  16:2:0:PYHOST:H2:0:\\MAILSLOT\\TEST:68656c6c6f
"""
import socket
import sys

from scapy.layers.netbios import NBTDatagram
from scapy.layers.smb import SMB_Header

try:  # scapy >= 2.6
    from scapy.layers.smb import SMBMailslot_Write
except ImportError:  # scapy 2.5 (Debian 12): the transaction header and the mailslot layer apart
    SMBMailslot_Write = None
    from scapy.layers.smb import SMBMailSlot, SMBNetlogon_Protocol_Response_Header
    from scapy.packet import Raw


def suffix(value):
    # scapy's SUFFIX field is the 16th name byte, first-level encoded (0x4141 = <00>).
    return 0x4141 + ((value >> 4) << 8) + (value & 0xF)


def build(case, source_ip, source_port):
    kind, flags, timeout, source, dest, dest_suffix, slot, data = case.split(":")
    data = bytes.fromhex(data)
    smb = SMB_Header(Command=0x25, Flags=0, Flags2=0)
    if SMBMailslot_Write is not None:
        smb = smb / SMBMailslot_Write(Name=slot.encode(), Data=data, Timeout=int(timeout))
    else:
        timeout = int(timeout)
        smb = (smb
               / SMBNetlogon_Protocol_Response_Header(
                   TotalDataCount=len(data), DataCount=len(data), DataOffset=70 + len(slot),
                   TimeOut1=timeout & 0xFF, TimeOut2=(timeout >> 8) & 0xFF)
               / SMBMailSlot(size=len(slot) + 1 + len(data), name=slot.encode())
               / Raw(data))
    smb_bytes = bytes(smb)
    packet = NBTDatagram(
        Type=int(kind), Flags=int(flags), ID=0x4D53, SourceIP=source_ip, SourcePort=source_port,
        Length=68 + len(smb_bytes), SourceName=source.encode(), SUFFIX1=suffix(0),
        DestinationName=dest.encode(), SUFFIX2=suffix(int(dest_suffix, 16))) / smb_bytes
    return bytes(packet)


def main():
    dest_ip, dest_port, source_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind((source_ip, 0))
    for case in sys.argv[4:]:
        payload = build(case, source_ip, sock.getsockname()[1])
        sock.sendto(payload, (dest_ip, dest_port))
        print(payload.hex())


if __name__ == "__main__":
    main()
