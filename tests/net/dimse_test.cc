#include <gtest/gtest.h>

#include "net/dimse/command.h"
#include "net/dimse/message.h"

namespace bastion::net::dimse {
namespace {

struct Recorder : MessageHandler {
  Status OnCommand(std::uint8_t context_id, Command command) override {
    commands.emplace_back(context_id, std::move(command));
    return Status::Ok();
  }
  Status OnDataSetFragment(std::uint8_t, std::span<const std::uint8_t> bytes, bool last) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    data_complete = last;
    return Status::Ok();
  }
  std::vector<std::pair<std::uint8_t, Command>> commands;
  std::vector<std::uint8_t> data;
  bool data_complete = false;
};

MessageAssembler Assembler() {
  return MessageAssembler(CommandLimits{}, [](std::uint8_t id) { return id == 1 || id == 3; });
}

TEST(CommandTest, EncodesWithGroupLengthAndDecodesBack) {
  auto bytes = EncodeCommand(MakeCEchoRq(7));
  ASSERT_GE(bytes.size(), 12u);
  const std::uint32_t group_length =
      bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  EXPECT_EQ(group_length, bytes.size() - 12);
  auto command = DecodeCommand(bytes);
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->command_field(), static_cast<std::uint16_t>(CommandField::kCEchoRq));
  EXPECT_EQ(command->message_id(), 7);
  EXPECT_EQ(command->affected_sop_class_uid(), "1.2.840.10008.1.1");
  EXPECT_FALSE(command->has_data_set());
}

TEST(CommandTest, RejectsElementsOutsideGroupZero) {
  dicom::DataSet ds = MakeCEchoRq(1);
  ds.SetString(dicom::Tag(0x0010, 0x0010), dicom::Vr::kPN, "X^Y");
  auto command = DecodeCommand(EncodeCommand(ds));
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("outside group 0000"), std::string::npos);
}

TEST(CommandTest, RejectsCommandWithoutCommandField) {
  dicom::DataSet ds;
  ds.SetU16(dicom::Tag(0x0000, 0x0110), 1);
  EXPECT_FALSE(DecodeCommand(EncodeCommand(ds)).ok());
}

TEST(CommandTest, NamesCommandFields) {
  EXPECT_EQ(CommandFieldName(0x0030), "C-ECHO-RQ");
  EXPECT_EQ(CommandFieldName(0x1234), "unknown command 0x1234");
}

TEST(MessageAssemblerTest, AssemblesACommandSplitIntoOneBytePdvs) {
  auto bytes = EncodeCommand(MakeCEchoRq(3));
  auto pdus = FragmentMessage(1, bytes, {}, 7);  // 1 byte of data per PDV
  ASSERT_EQ(pdus.size(), bytes.size());
  MessageAssembler assembler = Assembler();
  Recorder recorder;
  for (const auto& pdata : pdus) ASSERT_TRUE(assembler.Consume(pdata, recorder).ok());
  ASSERT_EQ(recorder.commands.size(), 1u);
  EXPECT_EQ(recorder.commands[0].second.message_id(), 3);
}

TEST(MessageAssemblerTest, HandsOnDataSetFragmentsAsTheyArrive) {
  dicom::DataSet cmd = MakeResponse(CommandField::kCStoreRsp, 1, "1.2", "1.3", 0, true);
  std::vector<std::uint8_t> data(10000, 0xAB);
  auto pdus = FragmentMessage(3, EncodeCommand(cmd), data, 4096);
  MessageAssembler assembler = Assembler();
  Recorder recorder;
  for (const auto& pdata : pdus) ASSERT_TRUE(assembler.Consume(pdata, recorder).ok());
  EXPECT_EQ(recorder.data, data);
  EXPECT_TRUE(recorder.data_complete);
  EXPECT_FALSE(assembler.expecting_data_set());
}

TEST(MessageAssemblerTest, RejectsDataBeforeItsCommand) {
  MessageAssembler assembler = Assembler();
  Recorder recorder;
  pdu::PDataTf pdata{{{1, false, true, {1, 2}}}};
  EXPECT_FALSE(assembler.Consume(pdata, recorder).ok());
}

TEST(MessageAssemblerTest, RejectsUnacceptedContext) {
  MessageAssembler assembler = Assembler();
  Recorder recorder;
  pdu::PDataTf pdata{{{5, true, true, EncodeCommand(MakeCEchoRq(1))}}};
  auto st = assembler.Consume(pdata, recorder);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not accepted"), std::string::npos);
}

TEST(MessageAssemblerTest, RejectsContextSwitchInsideAMessage) {
  MessageAssembler assembler = Assembler();
  Recorder recorder;
  auto bytes = EncodeCommand(MakeCEchoRq(1));
  pdu::PDataTf first{{{1, true, false, {bytes.begin(), bytes.begin() + 4}}}};
  pdu::PDataTf second{{{3, true, true, {bytes.begin() + 4, bytes.end()}}}};
  ASSERT_TRUE(assembler.Consume(first, recorder).ok());
  EXPECT_FALSE(assembler.Consume(second, recorder).ok());
}

TEST(MessageAssemblerTest, RejectsOversizedCommandSets) {
  MessageAssembler assembler(CommandLimits{100}, [](std::uint8_t) { return true; });
  Recorder recorder;
  pdu::PDataTf pdata{{{1, true, false, std::vector<std::uint8_t>(80)},
                      {1, true, false, std::vector<std::uint8_t>(80)}}};
  auto st = assembler.Consume(pdata, recorder);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
}

TEST(FragmentMessageTest, RespectsThePeersMaximumLength) {
  std::vector<std::uint8_t> data(100000, 1);
  auto pdus = FragmentMessage(1, EncodeCommand(MakeCEchoRq(1)), data, 16384);
  for (const auto& pdata : pdus) {
    ASSERT_EQ(pdata.values.size(), 1u);
    EXPECT_LE(pdata.values[0].data.size() + 6, 16384u);
  }
  EXPECT_TRUE(pdus.back().values[0].is_last);
  EXPECT_FALSE(pdus.back().values[0].is_command);
}

}  // namespace
}  // namespace bastion::net::dimse
