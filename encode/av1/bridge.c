#include <stdlib.h>
#include <string.h>

#include "bridge.h"

int studio_av1_open(studio_av1 **pe, const studio_av1_config *c) {
  // SVT-AV1 prints its configuration and a warning about low delay on
  // every init; keep only errors unless the user asked for more.
  setenv("SVT_LOG", "1", 0);

  studio_av1 *e = calloc(1, sizeof(*e));
  if (e == NULL) {
    return EB_ErrorInsufficientResources;
  }
  EbSvtAv1EncConfiguration p;
  EbErrorType r = svt_av1_enc_init_handle(&e->handle, NULL, &p);
  if (r != EB_ErrorNone) {
    free(e);
    return r;
  }
  p.source_width = c->width;
  p.source_height = c->height;
  p.frame_rate_numerator = c->fps;
  p.frame_rate_denominator = 1;
  p.encoder_bit_depth = 8;
  p.encoder_color_format = EB_YUV420;
  p.profile = MAIN_PROFILE;
  p.enc_mode = c->preset;
  p.pred_structure = SVT_AV1_PRED_LOW_DELAY_B;
  p.rate_control_mode = SVT_AV1_RC_MODE_CBR;
  p.target_bit_rate = c->bitrate;
  p.starting_buffer_level_ms = 600;
  p.optimal_buffer_level_ms = 600;
  p.maximum_buffer_size_ms = 1000;
  p.intra_refresh_type = SVT_AV1_KF_REFRESH;
  p.intra_period_length = c->intra_period;
  // Speed on two cores (see BenchmarkEncode720p and scripts/bench-codecs.sh):
  p.logical_processors = 0; // SVT-AV1's pipeline threads over all cores: its stages overlap consecutive pictures
  p.scene_change_detection = 0; // no scene cut analysis: key frames only every intra period or on request
  p.enable_tf = 0; // no temporal filtering of key frames: it needs future pictures that low delay does not have
  p.look_ahead_distance = 0; // no lookahead: each picture is coded as soon as the next arrives
  p.enable_tpl_la = 0; // no temporal dependency model, which needs the lookahead
  r = svt_av1_enc_set_parameter(e->handle, &p);
  if (r == EB_ErrorNone) {
    r = svt_av1_enc_init(e->handle);
  }
  if (r != EB_ErrorNone) {
    svt_av1_enc_deinit_handle(e->handle);
    free(e);
    return r;
  }
  e->initialised = 1;
  e->height = c->height;
  e->in.size = sizeof(e->in);
  e->in.p_buffer = (uint8_t *)&e->io;
  *pe = e;
  return EB_ErrorNone;
}

int studio_av1_send(studio_av1 *e, uint8_t *y, uint8_t *cb, uint8_t *cr, int ystride, int cstride, int64_t pts) {
  e->io.luma = y;
  e->io.cb = cb;
  e->io.cr = cr;
  e->io.y_stride = ystride;
  e->io.cb_stride = cstride;
  e->io.cr_stride = cstride;
  e->in.n_filled_len = ystride * e->height + cstride * e->height;
  e->in.pts = pts;
  e->in.flags = 0;
  e->in.pic_type = EB_AV1_INVALID_PICTURE; // the encoder decides
  // SVT-AV1 copies the picture before returning.
  EbErrorType r = svt_av1_enc_send_picture(e->handle, &e->in);
  e->io.luma = e->io.cb = e->io.cr = NULL;
  return r;
}

int studio_av1_send_eos(studio_av1 *e) {
  EbBufferHeaderType eos;
  memset(&eos, 0, sizeof(eos));
  eos.size = sizeof(eos);
  eos.flags = EB_BUFFERFLAG_EOS;
  return svt_av1_enc_send_picture(e->handle, &eos);
}

int studio_av1_get(studio_av1 *e, int block, uint8_t **data, uint32_t *len, int64_t *pts, int *pic_type, uint32_t *flags) {
  studio_av1_release(e);
  EbErrorType r = svt_av1_enc_get_packet(e->handle, &e->out, (uint8_t)block);
  if (r != EB_ErrorNone) {
    e->out = NULL;
    return r;
  }
  *data = e->out->p_buffer;
  *len = e->out->n_filled_len;
  *pts = e->out->pts;
  *pic_type = e->out->pic_type;
  *flags = e->out->flags;
  return EB_ErrorNone;
}

void studio_av1_release(studio_av1 *e) {
  if (e->out != NULL) {
    svt_av1_enc_release_out_buffer(&e->out);
    e->out = NULL;
  }
}

void studio_av1_close(studio_av1 *e) {
  studio_av1_release(e);
  if (e->initialised) {
    svt_av1_enc_deinit(e->handle);
  }
  svt_av1_enc_deinit_handle(e->handle);
  free(e);
}
