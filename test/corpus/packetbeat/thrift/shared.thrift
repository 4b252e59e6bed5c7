# Test fixture written for pbx: the shared declarations the Packetbeat tutorial captures use
# (thrift_tutorial*.pcap, thrift_echo_binary.pcap). Names that Packetbeat's tests assert are kept;
# the others are this fixture's own.
namespace py shared

struct SharedStruct {
  1: i32 key
  2: string value
}

service SharedService {
  SharedStruct getStruct(1: i32 key)
}
