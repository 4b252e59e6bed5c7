{
  "targets": [
    {
      "target_name": "pbx_pcap",
      "sources": ["pcap_binding.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpcap"]
    }
  ]
}
