/* A stand-in for NVML (libnvidia-ml.so.1) with the four entry points trainer/gpu_utilization.cpp uses, for
   its test: one GPU at PCI bus id 00000000:3B:00.0, 37 % busy. nvmlInit_v2 fails (NVML_ERROR_DRIVER_NOT_LOADED,
   9) while the environment has CAGCL_FAKE_NVML_NO_DRIVER, as the real one does on a machine without a driver. */
#include <stdlib.h>
#include <string.h>

typedef struct {
  unsigned int gpu;
  unsigned int memory;
} FakeUtilization;

static int fake_device;

int nvmlInit_v2(void) { return getenv("CAGCL_FAKE_NVML_NO_DRIVER") ? 9 : 0; }

int nvmlShutdown(void) { return 0; }

int nvmlDeviceGetHandleByPciBusId_v2(const char* bus_id, void** device) {
  if (strcmp(bus_id, "00000000:3B:00.0") != 0) return 6; /* NVML_ERROR_NOT_FOUND */
  *device = &fake_device;
  return 0;
}

int nvmlDeviceGetUtilizationRates(void* device, FakeUtilization* rates) {
  if (device != &fake_device) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
  rates->gpu = 37;
  rates->memory = 12;
  return 0;
}
