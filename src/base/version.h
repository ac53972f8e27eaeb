/* Version and commit of this build, set by CMake (JG_VERSION, JG_COMMIT). */
#ifndef JG_VERSION_H
#define JG_VERSION_H

#ifndef JG_VERSION
#define JG_VERSION "dev"
#endif
#ifndef JG_COMMIT
#define JG_COMMIT "unknown"
#endif

#endif
