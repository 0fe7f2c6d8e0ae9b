#!/usr/bin/python3
# Parses NetBIOS datagrams (hex, one per argument) with Samba's own NDR unmarshalling
# (librpc/idl/nbt.idl through python3-samba) and prints one line per datagram:
#   msg_type src_addr src_port source<type> dest<type> mailslot data_hex
# Run with Debian's /usr/bin/python3, where python3-samba lives.
import sys
from samba.ndr import ndr_unpack
from samba.dcerpc import nbt

for text in sys.argv[1:]:
    packet = ndr_unpack(nbt.dgram_packet, bytes.fromhex(text))
    body = packet.data.body.body
    print("%#x %s %d %s<%02x> %s<%02x> %s %s" % (
        packet.msg_type, packet.src_addr, packet.src_port,
        packet.data.source_name.name, packet.data.source_name.type,
        packet.data.dest_name.name, packet.data.dest_name.type,
        body.mailslot_name, bytes(body.data).hex()))
