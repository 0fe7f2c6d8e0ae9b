#!/usr/bin/env python3
"""A hostile NetBIOS name service on loopback, for NetworkHardeningTests.

Usage: nbns_forger.py MODE[,MODE...]
Binds UDP 0.0.0.0:<ephemeral>, prints "ready <port>", and answers every name query with one
reply per MODE:
  wrong-id    the right answer (127.0.0.1) under another transaction id
  elsewhere   the right id, naming 10.9.9.9 (not the sender's own address)
  other-port  the right id and 127.0.0.1, sent from another port than the one queried
  honest      the right id and 127.0.0.1, from the port queried (what a name's owner sends)
"""
import socket
import struct
import sys

modes = sys.argv[1].split(",")
service = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
service.bind(("0.0.0.0", 0))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind(("0.0.0.0", 0))
print("ready", service.getsockname()[1], flush=True)


def answer(query_id, name, address):
    header = struct.pack(">HHHHHH", query_id, 0x8500, 0, 1, 0, 0)
    record = name + struct.pack(">HHIH", 0x20, 0x01, 300, 6) + struct.pack(">H", 0) + socket.inet_aton(address)
    return header + record


while True:
    data, sender = service.recvfrom(2048)
    if len(data) < 50:
        continue
    query_id = struct.unpack(">H", data[0:2])[0]
    name = data[12:46]
    for mode in modes:
        if mode == "wrong-id":
            service.sendto(answer(query_id ^ 0x5A5A, name, "127.0.0.1"), sender)
        elif mode == "elsewhere":
            service.sendto(answer(query_id, name, "10.9.9.9"), sender)
        elif mode == "other-port":
            other.sendto(answer(query_id, name, "127.0.0.1"), sender)
        elif mode == "honest":
            service.sendto(answer(query_id, name, "127.0.0.1"), sender)
